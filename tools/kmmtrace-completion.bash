# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bash completion for kmmtrace: commands, each command's options (read from its
# --help, so always current), option values where they are a fixed list, and
# trace files. Use: source tools/kmmtrace-completion.bash (or install it as
# /usr/share/bash-completion/completions/kmmtrace).
_kmmtrace()
{
	local cur prev cmd words
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		words=$("${COMP_WORDS[0]}" help 2>/dev/null | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	case "$cmd:$prev" in
	report:-g|report:--group-by) COMPREPLY=($(compgen -W "callsite cache gfp context order pid comm" -- "$cur")); return ;;
	lint:-m|lint:--min-severity) COMPREPLY=($(compgen -W "info warning error" -- "$cur")); return ;;
	export:-f|export:--format) COMPREPLY=($(compgen -W "kmt folded pprof json csv" -- "$cur")); return ;;
	top:-s|top:--sort) COMPREPLY=($(compgen -W "allocs bytes frees live" -- "$cur")); return ;;
	vmalloc:-s|vmalloc:--sort) COMPREPLY=($(compgen -W "areas bytes live churn purges ptes" -- "$cur")); return ;;
	record:-e|record:--events|dump:-e|dump:--events)
		COMPREPLY=($(compgen -W "all slab page vmalloc percpu tlb kmalloc kfree kmem_cache_alloc kmem_cache_free mm_page_alloc mm_page_free" -- "$cur")); return ;;
	*:-o|*:--output|*:-s|*:--suppress|*:--plot|*:--gfp-format) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	esac
	if [[ "$cur" == -* ]]; then
		words=$("${COMP_WORDS[0]}" "$cmd" --help 2>&1 | grep -oE -- '(^|[ ,\[])--?[a-z][a-z0-9-]*' | sed 's/^[ ,\[]//' | sort -u)
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	case "$cmd" in
	workload) COMPREPLY=($(compgen -W "pages slab vmalloc percpu net fork mixed churn storm" -- "$cur")) ;;
	*) COMPREPLY=($(compgen -f -X '!*.kmt' -- "$cur") $(compgen -d -- "$cur")) ;;
	esac
}
complete -F _kmmtrace kmmtrace ./kmmtrace
