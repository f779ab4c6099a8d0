#!/usr/bin/env bash
# Writes the template of agendad's messages (agendad.pot) from the sources:
# every string marked for translation in core/src and plugins (see
# po/README.md). Used by the build's `pot` target and by the catalog test,
# which checks that po/agendad.pot is what this script makes.
#   po/make-pot.sh SOURCE_DIR OUT.pot
set -euo pipefail
src=$(cd "$1" && pwd)
out=$2
cd "$src"
# Sorted, so that the template does not depend on the file system's order.
mapfile -t files < <(find core/src plugins -name '*.c' -not -path '*/tests/*' | LC_ALL=C sort)
# _ N_: core (base/i18n.h); P_ PN_: plugins (plugins/common/plugin_i18n.h);
# ag_diags_add and ag_config_err look their format up themselves. Every
# format of theirs is a printf format, even without a % (--flag), so that
# msgfmt --check refuses a stray % in a translation.
xgettext --from-code=UTF-8 --language=C --add-comments=TRANSLATORS: \
  --add-location=file --no-wrap \
  --keyword --keyword=_ --keyword=N_ --keyword=P_ --keyword=PN_ \
  --keyword=ngettext:1,2 \
  --keyword=ag_diags_add:5 --flag=ag_diags_add:5:c-format \
  --keyword=ag_config_err:3 --flag=ag_config_err:3:c-format \
  --flag=ag_cli_error:3:c-format --flag=check_error:3:c-format \
  --package-name=agendad --msgid-bugs-address="agendad maintainers" \
  --copyright-holder="agendad's authors" \
  -o "$out" "${files[@]}"
