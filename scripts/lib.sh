# shellcheck shell=bash
# Shared helpers for the scripts in this directory. Source it; do not run it.
#
#   PAO_SCRIPTS_ROOT   the repository that holds these scripts (set here)
#   pao_find_bin NAME  print the path of the `pao-lint` or `pao` binary to use
#
# Binary lookup, first match wins:
#   1. $PAO_LINT (for pao-lint) / $PAO_BIN (for pao), when set; must be executable
#   2. inside the PAO workspace (Cargo.toml + crates/pao_cli) with cargo on PATH:
#      `cargo build -p pao_cli` (quick when up to date), then target/debug/NAME;
#      skipped when PAO_NO_BUILD=1, and a failed build falls back to step 3
#   3. target/release/NAME, then target/debug/NAME, whichever is newer
#   4. NAME on PATH
# Nothing found: message on stderr, exit 2.

PAO_SCRIPTS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PAO_SCRIPTS_ROOT

# Exit codes shared by every script.
readonly PAO_EXIT_OK=0 PAO_EXIT_LINT=1 PAO_EXIT_USAGE=2
export PAO_EXIT_OK PAO_EXIT_LINT PAO_EXIT_USAGE

pao_log() { printf '%s: %s\n' "${PAO_SCRIPT_NAME:-pao}" "$*" >&2; }

pao_die() {
    # pao_die CODE MESSAGE...
    local code=$1
    shift
    pao_log "$*"
    exit "$code"
}

# The directory that a target repository option names, made absolute and
# checked to be inside a Git work tree. Prints the work tree's top level.
pao_repo_toplevel() {
    local dir=$1 top
    [[ -d $dir ]] || pao_die "$PAO_EXIT_USAGE" "not a directory: $dir"
    top=$(git -C "$dir" rev-parse --show-toplevel 2>/dev/null) ||
        pao_die "$PAO_EXIT_USAGE" "not inside a Git repository: $dir"
    printf '%s\n' "$top"
}

_pao_built=""

pao_find_bin() {
    local name=$1 override="" candidate newest=""
    case $name in
        pao-lint) override=${PAO_LINT:-} ;;
        pao) override=${PAO_BIN:-} ;;
    esac
    if [[ -n $override ]]; then
        [[ -x $override ]] || pao_die "$PAO_EXIT_USAGE" "not an executable: $override"
        printf '%s\n' "$override"
        return 0
    fi
    local root=$PAO_SCRIPTS_ROOT
    if [[ -f $root/Cargo.toml && -d $root/crates/pao_cli && ${PAO_NO_BUILD:-0} != 1 ]] &&
        command -v cargo >/dev/null 2>&1; then
        if [[ $_pao_built != *" $name "* ]]; then
            if (cd "$root" && cargo build --quiet -p pao_cli --bin "$name" >&2); then
                _pao_built="$_pao_built $name "
            else
                pao_log "warning: cargo build -p pao_cli --bin $name failed; using an existing binary"
            fi
        fi
        if [[ $_pao_built == *" $name "* && -x $root/target/debug/$name ]]; then
            printf '%s\n' "$root/target/debug/$name"
            return 0
        fi
    fi
    for candidate in "$root/target/release/$name" "$root/target/debug/$name"; do
        if [[ -x $candidate && ( -z $newest || $candidate -nt $newest ) ]]; then
            newest=$candidate
        fi
    done
    if [[ -n $newest ]]; then
        printf '%s\n' "$newest"
        return 0
    fi
    if command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
        return 0
    fi
    pao_die "$PAO_EXIT_USAGE" "cannot find $name: build it (cargo build -p pao_cli), put it on PATH, or set PAO_LINT (pao-lint) / PAO_BIN (pao)"
}

# The catalog repository to work on when none is given: the Git work tree of
# the current directory if it has a catalog/ directory, else this repository.
pao_default_repo() {
    local top
    if top=$(git rev-parse --show-toplevel 2>/dev/null) && [[ -d $top/catalog ]]; then
        printf '%s\n' "$top"
    else
        printf '%s\n' "$PAO_SCRIPTS_ROOT"
    fi
}

# The top of the catalog repository REPO (default: pao_default_repo); dies
# with the usage status when it has no catalog/ directory.
pao_catalog_top() {
    local repo=${1:-} top
    [[ -n $repo ]] || repo=$(pao_default_repo)
    top=$(pao_repo_toplevel "$repo") || exit "$PAO_EXIT_USAGE"
    [[ -d $top/catalog ]] || pao_die "$PAO_EXIT_USAGE" "no catalog/ directory in $top"
    printf '%s
' "$top"
}

# Makes a relative `--config FILE` in the named array absolute, so it still
# names the caller's file after the script changes directory.
pao_absolute_config() {
    local -n pao_args_ref=$1
    local i
    for i in "${!pao_args_ref[@]}"; do
        if [[ ${pao_args_ref[$i]} == --config && -e ${pao_args_ref[$((i + 1))]} ]]; then
            pao_args_ref[i + 1]=$(cd "$(dirname "${pao_args_ref[$((i + 1))]}")" && pwd)/$(basename "${pao_args_ref[$((i + 1))]}")
        fi
    done
}

# pao_lint_option ARRAY ARG...: takes one pao-lint option the scripts pass through
# (--format FMT, --config FILE, or their --opt=value forms) from the front of the
# arguments into the named array. Sets PAO_TAKEN to the words used: 0 when ARG is
# not one of them, so the caller's own `case` handles it.
# shellcheck disable=SC2034 # PAO_TAKEN is read by the caller
pao_lint_option() {
    local -n pao_option_args=$1
    shift
    PAO_TAKEN=0
    case $1 in
        --format | --config)
            (($# >= 2)) || pao_die "$PAO_EXIT_USAGE" "$1 needs a value (see --help)"
            pao_option_args+=("$1" "$2")
            PAO_TAKEN=2 ;;
        --format=* | --config=*)
            pao_option_args+=("$1")
            PAO_TAKEN=1 ;;
    esac
}

# git with a fixed identity and defaults, for the scratch repositories that
# tests and scripts make.
pao_git() {
    git -c user.name=pao-scripts -c user.email=pao-scripts@example.invalid \
        -c commit.gpgsign=false -c init.defaultBranch=main "$@"
}

# pao_catalog_repo SRC DEST: a Git repository at DEST holding SRC's catalog/,
# pao.toml and .github/CODEOWNERS, committed.
pao_catalog_repo() {
    local src=$1 dest=$2
    mkdir -p "$dest/.github"
    cp -R "$src/catalog" "$dest/"
    [[ ! -f $src/pao.toml ]] || cp "$src/pao.toml" "$dest/"
    [[ ! -f $src/.github/CODEOWNERS ]] || cp "$src/.github/CODEOWNERS" "$dest/.github/"
    pao_git -C "$dest" init -q
    pao_git -C "$dest" add -A
    pao_git -C "$dest" commit -q -m "example catalog"
}

# Run pao-lint and map its status onto the scripts' exit codes: 0 and 1 are
# passed through, anything else (2, a crash) becomes 2.
pao_run_lint() {
    local lint status=0
    lint=$(pao_find_bin pao-lint) || exit "$PAO_EXIT_USAGE"
    "$lint" "$@" || status=$?
    case $status in
        0 | 1) return "$status" ;;
        *) return "$PAO_EXIT_USAGE" ;;
    esac
}
