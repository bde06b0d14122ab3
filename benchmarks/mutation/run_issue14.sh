#!/usr/bin/env bash
# The mutation runs of issue 14, by hand (not CI). Usage: run_issue14.sh before|after GROUP
# "after" runs the same seeded sample again, only the mutants that survived "before"
# (a mutant the old tests killed stays killed: tests were only added), with the new tests.
set -euo pipefail
phase=$1 group=$2
cd "$(dirname "$0")/../.."
export PREFECT_SERVER_ANALYTICS_ENABLED=false NO_ALBUMENTATIONS_UPDATE=1 DO_NOT_TRACK=1
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONDONTWRITEBYTECODE=1
PY=${PY:-/work/main/.venv/bin/python}
RES=${RES:-/tmp/mut14/res}
mkdir -p "$RES"
R=tests/test_arm_registry.py
C=tests/test_checkpoint.py
case $group in
sampler)
    files=(augment/sampler.py) n=60
    tests=(tests/test_sampler.py tests/gan/test_conditioning.py::test_oversampler_rows_labelled_k_look_like_k)
    ;;
arms)
    files=(augment/arms/*.py) n=80
    tests=(tests/test_arms.py tests/test_more_arms.py "$R::test_dummy_arm_is_listed_and_accepted_by_the_config"
        "$R::test_unregistered_arm_is_a_config_error" "$R::test_arm_kinds_and_requirements_give_reasons"
        tests/test_image_arms.py)
    ;;
gan)
    files=(augment/gan/tabular.py augment/gan/base.py augment/gan/loop.py) n=120
    tests=(tests/gan/test_tabular.py tests/gan/test_persist.py tests/gan/test_fingerprint.py
        tests/gan/test_tabular_monitor.py tests/gan/test_image.py tests/gan/test_conditioning.py
        "$C::test_gan_config_checkpoint_dir_reaches_the_fit" "$C::test_image_gan_resume_equals_uninterrupted"
        "$C::test_checkpoint_written_atomically_and_extends_training"
        "$C::test_checkpoint_of_other_seed_is_ignored" "$C::test_tampered_checkpoint_fails_clearly")
    ;;
*) echo "unknown group $group" >&2; exit 2 ;;
esac
extra=()
if [[ $phase == after ]]; then
    # the tests added for issue 14 (AFTER_TESTS), and only the survivors of the first run
    read -r -a added <<<"${AFTER_TESTS:-}"
    tests+=("${added[@]}")
    $PY -c "import json,sys; [print(r['id']) for r in map(json.loads, open(sys.argv[1])) if r['status']=='survived']" \
        "$RES/${group}_before.jsonl" >"$RES/${group}.survivors"
    # a generous per-mutant limit: a survivor runs every test, a slow one must not pass as killed
    extra=(--only "$RES/${group}.survivors" --timeout "${TIMEOUT:-150}")
fi
nice -n 19 "$PY" benchmarks/mutation/sample_mutants.py --work "/tmp/mut14/src_$group" --group "$group" \
    --files "${files[@]}" --sample "$n" --seed 14 --tests "${tests[@]}" "${extra[@]}" \
    --out "$RES/${group}_${phase}.jsonl"
