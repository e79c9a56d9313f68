# Completion: the hidden "ctr-ipc __complete", and the bash and zsh completions
# (completions/ctr-ipc.bash, completions/_ctr-ipc) that are built on it: called
# the way bash calls them, and driven for real in an interactive bash and zsh
# on a pseudo-terminal (tests/pty_drive.py).

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PTY_DRIVE=$SRCDIR/tests/pty_drive.py

# compl WORD...: "ctr-ipc __complete WORD..."; candidates in $OUT.
compl() {
	expect_rc 0 "$CTRIPC" __complete "$@"
}

# bash_comp LINE WORD...: run _ctr_ipc as bash would for the line LINE with
# the cursor at its end, which bash split into WORD... (COMP_WORDS; the last
# one is being completed).  Prints COMPREPLY, one per line; the compopt calls
# go to $T/compopt.  BASH_COMPLETION_SCRIPT, when set, is sourced first.
bash_comp() {
	local line=$1
	shift
	: >"$T/compopt"
	PATH=$BIN:$PATH COMPOPT_LOG=$T/compopt bash --norc --noprofile -c '
		if [ -n "${BASH_COMPLETION_SCRIPT:-}" ]; then
			source "$BASH_COMPLETION_SCRIPT" || exit 8
			declare -F _get_comp_words_by_ref >/dev/null || exit 8
		fi
		source "$1" || exit 9
		shift
		# The builtin only works inside a real completion: record the calls.
		compopt() { printf "%s\n" "$*" >>"$COMPOPT_LOG"; }
		COMP_LINE=$1 COMP_POINT=${#1}
		shift
		COMP_WORDS=("$@") COMP_CWORD=$(($# - 1))
		COMPREPLY=(unchanged)
		_ctr_ipc || exit 10
		((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}"
	' bash "$SRCDIR/completions/ctr-ipc.bash" "$line" "$@"
}

# expect_bash_comp "WANT LINES" LINE WORD...
expect_bash_comp() {
	local want=$1 got
	shift
	got=$(bash_comp "$@") || fail "_ctr_ipc for '$1' failed (exit $?): $got"
	expect_eq "$got" "$want" "COMPREPLY for '$1'"
}

lines() {
	printf '%s\n' "$@"
}

need_zsh() {
	command -v zsh >/dev/null || { echo "zsh is not installed"; exit 77; }
}

# --- ctr-ipc __complete ------------------------------------------------------

test_complete_top_level() {
	compl ''
	expect_eq "$OUT" "$(lines container daemon help msg policy vdev)" "objects"
	expect_not_contains "$OUT" "__complete"
	compl dae
	expect_eq "$OUT" daemon
	compl daemon ''
	expect_eq "$OUT" "$(lines help log-level reload stats status version)" "daemon commands"
	compl daemon st
	expect_eq "$OUT" "$(lines stats status)"
	# A prefix of the object is enough, as when running.
	compl d log-level w
	expect_eq "$OUT" warning
	compl daemon log-level ''
	expect_eq "$OUT" "$(lines debug error info notice warning)"
	compl help ''
	expect_eq "$OUT" "$(lines container daemon msg policy vdev)" "after help: no second help"
}

test_complete_options() {
	compl --col
	expect_eq "$OUT" --color
	compl --color=a
	expect_eq "$OUT" "$(lines --color=always --color=auto)"
	compl --color ''
	expect_eq "$OUT" "$(lines always auto never)"
	compl --color=
	expect_eq "$OUT" "$(lines --color=always --color=auto --color=never)"
	compl -j daemon ''
	expect_contains "$OUT" status "after an option"
	# After the object only the output options are offered.
	compl daemon status --
	expect_contains "$OUT" --json
	expect_contains "$OUT" --color
	expect_not_contains "$OUT" --batch
	expect_not_contains "$OUT" --run-dir
	# An option that takes no value has no values.
	compl --json=
	expect_eq "$OUT" ""
}

test_complete_unknown_gives_nothing() {
	compl nosuchobject ''
	expect_eq "$OUT" "" "candidates after an unknown object"
	expect_eq "$ERR" "" "stderr"
	compl nosuchobject
	expect_eq "$OUT" ""
	compl daemon nosuch ''
	expect_eq "$OUT" ""
	compl daemon version ''
	expect_eq "$OUT" "" "a command without arguments"
	compl daemon log-level warning ''
	expect_eq "$OUT" "" "past the last argument"
	compl --nosuch=x
	expect_eq "$OUT" ""
	# No words at all: the candidates for an empty word.
	compl
	expect_eq "$OUT" "$(lines container daemon help msg policy vdev)"
}

test_complete_files() {
	mkdir -p "$T/w/sub dir" "$T/w/plain" "$T/w/.hidden"
	: >"$T/w/batch.txt"
	: >"$T/w/sub dir/a file"
	cd "$T/w" || fail "cd"
	compl -b ''
	expect_eq "$OUT" "$(lines batch.txt plain/ 'sub dir/')" "files for -b"
	compl -b s
	expect_eq "$OUT" "sub dir/"
	compl -b "sub dir/"
	expect_eq "$OUT" "sub dir/a file"
	compl -b .h
	expect_eq "$OUT" ".hidden/" "dot files when asked for"
	compl --batch "$T/w/p"
	expect_eq "$OUT" "$T/w/plain/"
	compl -b /nonexistent/
	expect_eq "$OUT" ""
}

# (b) live names: asked from the daemon named by --run-dir on the line.
test_complete_live_names() {
	start_daemon
	compl --run-dir "$T/run" daemon stats daemon.st
	expect_eq "$OUT" "$(lines daemon.stats daemon.status)" "live names"
	compl --run-dir="$T/run" daemon stats ''
	expect_contains "$OUT" "daemon.version"
	expect_contains "$OUT" "daemon.log-level"
	expect_bash_comp "$(lines daemon.stats daemon.status)" \
		"ctr-ipc --run-dir $T/run daemon stats daemon.st" \
		ctr-ipc --run-dir "$T/run" daemon stats daemon.st
	# The same from the environment.
	CTR_IPC_RUN_DIR=$T/run expect_rc 0 "$CTRIPC" __complete daemon stats daemon.ve
	expect_eq "$OUT" daemon.version
}

test_complete_live_names_no_daemon() {
	# Nothing to ask: no candidates, no noise, no waiting.
	local start
	start=$(date +%s%N)
	compl --run-dir "$T/run" daemon stats ''
	expect_eq "$OUT" ""
	expect_eq "$ERR" ""
	[ $((($(date +%s%N) - start) / 1000000)) -lt 2000 ] || fail "took more than 2 s"
}

# --- bash ----------------------------------------------------------------------

test_bash_completion() {
	expect_bash_comp daemon "ctr-ipc dae" ctr-ipc dae
	expect_bash_comp "$(lines help log-level reload stats status version)" \
		"ctr-ipc daemon " ctr-ipc daemon ''
	expect_bash_comp warning "ctr-ipc daemon log-level w" ctr-ipc daemon log-level w
	expect_bash_comp "$(lines debug error info notice warning)" \
		"ctr-ipc d log-level " ctr-ipc d log-level ''
	expect_bash_comp --color "ctr-ipc --col" ctr-ipc --col
	expect_bash_comp "" "ctr-ipc nosuch " ctr-ipc nosuch ''
	expect_bash_comp "" "ctr-ipc daemon version " ctr-ipc daemon version ''
	expect_eq "$(cat "$T/compopt")" "" "compopt calls"
}

# bash splits "--color=al" at '=' (COMP_WORDBREAKS): the words are --color, =
# and al, and readline replaces only "al", so the candidate must be "always".
test_bash_completion_option_value() {
	expect_bash_comp always "ctr-ipc --color=al" ctr-ipc --color = al
	expect_bash_comp "$(lines always auto never)" "ctr-ipc --color=" ctr-ipc --color =
	expect_bash_comp "$(lines always auto)" "ctr-ipc -j --color=a" ctr-ipc -j --color = a
	expect_bash_comp status "ctr-ipc --color=never daemon statu" \
		ctr-ipc --color = never daemon statu
	expect_bash_comp always "ctr-ipc --color al" ctr-ipc --color al
	# A blank after '=': a word of its own.
	expect_bash_comp "" "ctr-ipc --color= al" ctr-ipc --color = al
}

test_bash_completion_files() {
	mkdir -p "$T/w/sub dir" "$T/w/plain"
	: >"$T/w/sub dir/a file"
	: >"$T/w/batch.txt"
	cd "$T/w" || fail "cd"
	expect_bash_comp 'plain/' "ctr-ipc -b pl" ctr-ipc -b pl
	expect_eq "$(cat "$T/compopt")" "-o nospace" "compopt after a directory"
	expect_bash_comp 'sub\ dir/' "ctr-ipc -b su" ctr-ipc -b su
	expect_eq "$(cat "$T/compopt")" "-o nospace" "compopt after a directory"
	expect_bash_comp 'sub\ dir/a\ file' 'ctr-ipc -b sub\ dir/' ctr-ipc -b 'sub\ dir/'
	expect_eq "$(cat "$T/compopt")" "" "compopt after a file"
	expect_bash_comp 'batch.txt' "ctr-ipc -b b" ctr-ipc -b b
	expect_eq "$(cat "$T/compopt")" "" "compopt after a file"
}

test_bash_completion_cursor_inside_word() {
	# "ctr-ipc daemon log-level w|xyz": only what is before the cursor counts.
	: >"$T/compopt"
	got=$(PATH=$BIN:$PATH bash --norc --noprofile -c '
		source "$1"
		COMP_LINE="ctr-ipc daemon log-level wxyz" COMP_POINT=26
		COMP_WORDS=(ctr-ipc daemon log-level wxyz) COMP_CWORD=3
		_ctr_ipc; printf "%s\n" "${COMPREPLY[@]}"' bash "$SRCDIR/completions/ctr-ipc.bash")
	expect_eq "$got" warning
}

test_bash_completion_uses_program_on_path() {
	mkdir "$T/fakebin"
	printf '#!/bin/sh\necho "fake:$*"\n' >"$T/fakebin/ctr-ipc"
	chmod +x "$T/fakebin/ctr-ipc"
	got=$(PATH=$T/fakebin:$PATH bash --norc --noprofile -c '
		source "$1"
		COMP_LINE="ctr-ipc daemon x" COMP_POINT=16 COMP_WORDS=(ctr-ipc daemon x) COMP_CWORD=2
		_ctr_ipc; printf "%s\n" "${COMPREPLY[@]}"' bash "$SRCDIR/completions/ctr-ipc.bash")
	expect_eq "$got" 'fake:__complete\ daemon\ x' "what the program on PATH was given"
}

# The same with the bash-completion package loaded (_get_comp_words_by_ref).
test_bash_completion_with_bash_completion_package() {
	local s
	for s in "${BASH_COMPLETION_SCRIPT:-}" /usr/share/bash-completion/bash_completion \
		/etc/bash_completion; do
		[ -n "$s" ] && [ -f "$s" ] && break
		s=
	done
	[ -n "$s" ] || { echo "the bash-completion package is not installed"; exit 77; }
	export BASH_COMPLETION_SCRIPT=$s
	expect_bash_comp daemon "ctr-ipc dae" ctr-ipc dae
	expect_bash_comp always "ctr-ipc --color=al" ctr-ipc --color = al
	expect_bash_comp "$(lines always auto never)" "ctr-ipc --color=" ctr-ipc --color =
	expect_bash_comp warning "ctr-ipc daemon log-level w" ctr-ipc daemon log-level w
	mkdir -p "$T/w/sub dir"
	cd "$T/w" || fail "cd"
	expect_bash_comp 'sub\ dir/' "ctr-ipc -b su" ctr-ipc -b su
	expect_eq "$(cat "$T/compopt")" "-o nospace" "compopt after a directory"
}

# A real interactive bash on a terminal: what Tab puts on the line.  ^Xb
# prints the line between [[ ]]; ^A^K clears it for the next case.
test_bash_interactive() {
	mkdir -p "$T/w/sub dir"
	cat >"$T/bashrc" <<-EOF
	PS1='PROMPT> '
	bind 'set bell-style none'
	bind -x '"\C-xb": printf "[[%s]]\\n" "\$READLINE_LINE"'
	source '$SRCDIR/completions/ctr-ipc.bash'
	echo BASH-READY
	EOF
	python3 "$PTY_DRIVE" -t 10 -l "$T/screen" -C "$T/w" -e "PATH=$BIN:$PATH" -e "HOME=$T" \
		-e HISTFILE= -- bash --norc --noprofile -i >"$T/drive.log" 2>&1 <<-EOF
	send source '$T/bashrc'\r
	expect BASH-READY
	send ctr-ipc dae\t\x18b
	expect \[\[ctr-ipc daemon \]\]
	send \x01\x0bctr-ipc --color=al\t\x18b
	expect \[\[ctr-ipc --color=always \]\]
	send \x01\x0bctr-ipc daemon log-level w\t\x18b
	expect \[\[ctr-ipc daemon log-level warning \]\]
	send \x01\x0bctr-ipc daemon stat\t\t
	expect stats +status
	send \x01\x0bctr-ipc -b su\t\x18b
	expect \[\[ctr-ipc -b sub\\\\ dir/\]\]
	send \x01\x0bexit 0\r
	exit 0
	EOF
	[ $? = 0 ] || fail "interactive bash: $(cat "$T/drive.log")"
}

# --- zsh -----------------------------------------------------------------------

test_zsh_completion_loads() {
	need_zsh
	expect_rc 0 zsh -n "$SRCDIR/completions/_ctr-ipc"
	cd "$T" || fail "cd"
	expect_rc 0 env PATH="$BIN:$PATH" zsh -f -c '
		fpath=("$1" $fpath)
		autoload -Uz compinit && compinit -u -D || exit 3
		(( $+functions[_ctr-ipc] )) || autoload -Uz _ctr-ipc
		[[ ${_comps[ctr-ipc]} == _ctr-ipc ]] || { print -r "_comps: ${_comps[ctr-ipc]-unset}"; exit 4; }
		print ok' zsh "$SRCDIR/completions"
	expect_eq "$OUT" ok
	expect_eq "$ERR" "" "zsh stderr"
	# Sourced after compinit, it registers itself.
	expect_rc 0 zsh -f -c '
		autoload -Uz compinit && compinit -u -D || exit 3
		source "$1" || exit 5
		[[ ${_comps[ctr-ipc]} == _ctr-ipc ]] || exit 4
		print ok' zsh "$SRCDIR/completions/_ctr-ipc"
	expect_eq "$OUT" ok
	expect_eq "$ERR" "" "zsh stderr"
}

# A real interactive zsh: ^Xb shows the line between [[ ]] (zle -M).
test_zsh_interactive() {
	need_zsh
	mkdir -p "$T/w/sub dir" "$T/w/plain"
	: >"$T/w/sub dir/a file"
	cat >"$T/zshrc" <<-EOF
	PS1='PROMPT> '
	fpath=('$SRCDIR/completions' \$fpath)
	autoload -Uz compinit && compinit -u -D
	show-buffer() { zle -M "[[\${BUFFER}]]" }
	zle -N show-buffer
	bindkey '^Xb' show-buffer
	unsetopt beep
	print ZSH-READY \${_comps[ctr-ipc]}
	EOF
	python3 "$PTY_DRIVE" -t 10 -l "$T/screen" -C "$T/w" -e "PATH=$BIN:$PATH" -e "HOME=$T" \
		-e HISTFILE= -- zsh -f -i >"$T/drive.log" 2>&1 <<-EOF
	send source '$T/zshrc'\r
	expect ZSH-READY _ctr-ipc
	send ctr-ipc dae\t\x18b
	expect \[\[ctr-ipc daemon \]\]
	send \x01\x0bctr-ipc --color=al\t\x18b
	expect \[\[ctr-ipc --color=always \]\]
	send \x01\x0bctr-ipc daemon log-level w\t\x18b
	expect \[\[ctr-ipc daemon log-level warning \]\]
	send \x01\x0bctr-ipc -b su\t\x18b
	expect \[\[ctr-ipc -b sub\\\\ dir/\]\]
	send a\t\x18b
	expect \[\[ctr-ipc -b sub\\\\ dir/a\\\\ file \]\]
	send \x01\x0bctr-ipc nosuch \t\x18b
	expect \[\[ctr-ipc nosuch \]\]
	send \x01\x0bexit 0\r
	exit 0
	EOF
	[ $? = 0 ] || fail "interactive zsh: $(cat "$T/drive.log")"
}
