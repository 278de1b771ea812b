/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Self-contained SVG line charts for the replay's time series. */
#ifndef __KMT_SVGPLOT_H
#define __KMT_SVGPLOT_H

#include <stdio.h>
#include "replay.h"

/*
 * Writes an SVG with, for zone z: free blocks per order over time (log scale)
 * and the fragmentation / unusable indices of the THP order over time.
 */
int svgplot__replay(FILE *f, const struct replay_result *res, int z);

#endif /* __KMT_SVGPLOT_H */
