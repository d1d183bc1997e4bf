"""A small static bash completion script, made from the parser (``--print-completion bash``)."""

from __future__ import annotations

import argparse


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(o for a in parser._actions for o in a.option_strings if o.startswith("--"))


def bash_script(parser: argparse.ArgumentParser) -> str:
    """``source <(terrain-viewer --print-completion bash)``: commands, then each command's options."""
    commands = _commands(parser)
    cases = "\n".join(f"        {name}) opts=\"{' '.join(_options(sub))}\" ;;"
                      for name, sub in commands.items())
    return f"""# bash completion for terrain-viewer
_terrain_viewer() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" cmd="${{COMP_WORDS[1]}}" opts
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "{' '.join(commands)} {' '.join(_options(parser))}" -- "$cur") \\
                   $(compgen -f -- "$cur"))
        return
    fi
    case "$cmd" in
{cases}
        *) opts="" ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
complete -o filenames -F _terrain_viewer terrain-viewer
"""
