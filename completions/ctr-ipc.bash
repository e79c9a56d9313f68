# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for ctr-ipc(8).
#
# The candidates come from the program itself: "ctr-ipc __complete WORD..."
# gets the words of the line up to and including the one being completed and
# prints the candidates for that last word, one per line (from the same
# command table that drives dispatch, help and the shell, plus live names
# asked from the daemon).  Works with or without the bash-completion package.

# _ctr_ipc_dequote WORD: WORD without its shell quoting (backslashes, '...',
# "..."; an unterminated quote is fine) in REPLY.  Nothing is expanded.
_ctr_ipc_dequote()
{
	local s=$1 c q='' i
	REPLY=
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		if [[ $q == "'" ]]; then
			if [[ $c == "'" ]]; then q=; else REPLY+=$c; fi
		elif [[ $q == '"' ]]; then
			if [[ $c == '"' ]]; then
				q=
			elif [[ $c == '\' && $((i + 1)) -lt ${#s} && ${s:i+1:1} == [\"\\\$\`] ]]; then
				REPLY+=${s:i+1:1}
				((i++))
			else
				REPLY+=$c
			fi
		elif [[ $c == "'" || $c == '"' ]]; then
			q=$c
		elif [[ $c == '\' ]]; then
			((i + 1 < ${#s})) && REPLY+=${s:i+1:1}
			((i++))
		else
			REPLY+=$c
		fi
	done
}

# _ctr_ipc_words: the words of the line up to the cursor in the array
# _ctr_ipc_w, with the words bash split at '=' and ':' (COMP_WORDBREAKS)
# joined again, so that "--color=al" is one word; the last one is the word
# being completed, cut at the cursor.  Used without bash-completion.
_ctr_ipc_words()
{
	local line=${COMP_LINE:0:COMP_POINT} word blank i j=-1 glue=0
	_ctr_ipc_w=()
	if [[ -z ${COMP_LINE+set} || -z ${COMP_POINT+set} ]]; then
		_ctr_ipc_w=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
		return
	fi
	for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
		word=${COMP_WORDS[i]}
		blank=0
		[[ $line == [[:blank:]]* ]] && blank=1
		line=${line#"${line%%[![:blank:]]*}"}
		if ((i == COMP_CWORD)); then
			word=$line # the current word, up to the cursor
		else
			line=${line#"$word"}
		fi
		# A word of only '=' or ':' is glued to the one before, and the word
		# after it too, unless blanks separate them.
		if ((j > 0 && !blank)) && [[ $glue == 1 || ( -n $word && -z ${word//[=:]/} ) ]]; then
			_ctr_ipc_w[j]+=$word
		else
			_ctr_ipc_w[++j]=$word
		fi
		glue=0
		[[ -n $word && $word == *[=:] ]] && glue=1
	done
	# The cursor right after a blank: an empty current word.
	if ((${#COMP_WORDS[@]} <= COMP_CWORD)); then
		_ctr_ipc_w[++j]=
	fi
}

_ctr_ipc()
{
	local cur prog REPLY c i raw lead=
	local -a words args cands
	local cword

	if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
		# bash-completion: words not split at '=' or ':', cur cut at the cursor.
		_get_comp_words_by_ref -n =: cur words cword
		words=("${words[@]:0:cword}" "$cur")
	else
		local -a _ctr_ipc_w
		_ctr_ipc_words
		words=("${_ctr_ipc_w[@]}")
	fi

	raw=${words[${#words[@]} - 1]}
	for ((i = 1; i < ${#words[@]}; i++)); do
		_ctr_ipc_dequote "${words[i]}"
		args+=("$REPLY")
	done
	((${#args[@]})) || args=("")
	cur=${args[${#args[@]} - 1]}

	# The program the line names when given as a path, else the one on PATH.
	prog=ctr-ipc
	if [[ ${COMP_WORDS[0]} == */* && -x ${COMP_WORDS[0]} && ! -d ${COMP_WORDS[0]} ]]; then
		prog=${COMP_WORDS[0]}
	fi
	mapfile -t cands < <(command "$prog" __complete "${args[@]}" 2>/dev/null)

	# Readline replaces only the text after the last '=' or ':' in the word
	# (they are in COMP_WORDBREAKS), so candidates must not repeat what is
	# before it: "--color=al" -> "always".
	local breaks=${COMP_WORDBREAKS//[^=:]/}
	if [[ -n $breaks && $cur == *["$breaks"]* ]]; then
		lead=${cur%"${cur##*["$breaks"]}"}
	fi

	COMPREPLY=()
	for c in "${cands[@]}"; do
		[[ -n $lead && $c == "$lead"* ]] && c=${c#"$lead"}
		# Quote what the shell would take apart (file names with blanks...),
		# unless the user opened a quote, which readline then closes itself.
		if [[ $raw != [\"\']* && $c == *[^A-Za-z0-9_./=:,+@%^-]* ]]; then
			printf -v c %q "$c"
		fi
		COMPREPLY+=("$c")
	done

	# A directory: no space after it, so its entries can follow.
	if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == */ ]]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}

complete -F _ctr_ipc ctr-ipc
