# bash completion for initscope and initscope-gui. Installed as
# /usr/share/bash-completion/completions/{initscope,initscope-gui}; needs nothing from the
# bash-completion package, which only loads it on first use. Keep the option lists in step
# with each command's --help (app/cli/cmd_*.cpp) and with the man pages.

# Bundles, plus directories to walk into.
_initscope_bundles()
{
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -o plusdirs -f -X '!*.initscope' -- "$1")
}

_initscope_files()
{
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$1")
}

_initscope_json_files()
{
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -o plusdirs -f -X '!*.json' -- "$1")
}

_initscope_dirs()
{
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -d -- "$1")
}

_initscope_words()
{
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

_initscope()
{
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="record report diagnose symbols device diff retry export demo"
    COMPREPLY=()

    # The subcommand: the first word after initscope that is not an option.
    local command="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -*) ;;
            *) command=${COMP_WORDS[i]}; break ;;
        esac
    done
    if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then
            _initscope_words "--help --version" "$cur"
        else
            _initscope_words "$commands" "$cur"
        fi
        return 0
    fi

    # record: everything after -- is the command to run.
    if [[ $command == record ]]; then
        for ((i = 2; i < COMP_CWORD; i++)); do
            if [[ ${COMP_WORDS[i]} == -- ]]; then
                if ((i == COMP_CWORD - 1)); then
                    compopt -o filenames 2>/dev/null
                    mapfile -t COMPREPLY < <(compgen -c -- "$cur")
                else
                    _initscope_files "$cur"
                fi
                return 0
            fi
        done
    fi

    # The argument of the option before the cursor.
    case $command:$prev in
        record:-o | record:--output | demo:-o | demo:--output | retry:-o | diagnose:--save | \
        report:--redact | symbols:--bundle | device:--bundle)
            _initscope_bundles "$cur"; return 0 ;;
        record:--config | record:--matrix | symbols:--save-manifest)
            _initscope_json_files "$cur"; return 0 ;;
        record:--shim | record:--collect | diagnose:--ollama-log | symbols:--consumer | export:-o | \
        export:--output)
            _initscope_files "$cur"; return 0 ;;
        symbols:--reference)
            _initscope_json_files "$cur"
            [[ builtin == "$cur"* ]] && COMPREPLY+=(builtin)
            return 0 ;;
        record:--inject)
            _initscope_words "audit ld-library-path ld-preload" "$cur"; return 0 ;;
        record:--preset)
            _initscope_words "probe ollama custom" "$cur"; return 0 ;;
        record:--unset | retry:--unset)
            mapfile -t COMPREPLY < <(compgen -e -- "$cur"); return 0 ;;
        record:--env | retry:--env)
            compopt -o nospace 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -e -S = -- "$cur"); return 0 ;;
        *:--color | *:--colour)
            _initscope_words "auto always never" "$cur"; return 0 ;;
        export:--format)
            _initscope_words "chrome html markdown" "$cur"; return 0 ;;
        device:--root)
            _initscope_dirs "$cur"; return 0 ;;
        *:--run | *:--timeout | *:--name | *:--stop-on | *:--output-cap | *:--redact | \
        *:--no-redact | *:--max-processes | *:--redact-name | *:--note)
            return 0 ;;
    esac

    local options
    case $command in
        record)
            options="-o --output --env --unset --clean-env --timeout -q --quiet --keep-raw --name
                     --shim --inject --config --preset --stop-on --matrix --json --collect
                     --output-cap --redact --no-redact --no-redaction --max-processes -h --help --" ;;
        report) options="--json --run --redact --redact-name --color -h --help" ;;
        diagnose) options="--json --run --ollama-log --save --color -h --help" ;;
        symbols)
            options="--consumer --reference --bundle --json --describe --save-manifest --note
                     --color -h --help" ;;
        device) options="--root --bundle --run --json --color -h --help" ;;
        diff) options="--run --reference --json --color -h --help" ;;
        retry) options="--run --env --unset -o --yes --color -h --help" ;;
        export) options="--format --run -o --output -h --help" ;;
        demo) options="-o --output --no-gui --color -h --help" ;;
        *) return 0 ;;
    esac
    if [[ $cur == -* ]]; then
        _initscope_words "$options" "$cur"
        return 0
    fi

    # Positional arguments.
    case $command in
        record)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -c -- "$cur") ;;
        symbols) _initscope_files "$cur" ;;
        device | demo) ;;
        *) _initscope_bundles "$cur" ;;
    esac
    return 0
}

_initscope_gui()
{
    local cur=${COMP_WORDS[COMP_CWORD]}
    COMPREPLY=()
    if [[ $cur == -* ]]; then
        _initscope_words "--compare -h --help --help-all -v --version" "$cur"
    else
        _initscope_bundles "$cur"
    fi
    return 0
}

complete -F _initscope initscope
complete -F _initscope_gui initscope-gui
