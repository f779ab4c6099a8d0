# Run as `cmake -DROOT=core/src -P check_includes.cmake`. A core folder
# reaches another only through the contract headers at that folder's top,
# named bare ("store.h"): the build's include paths then decide what is
# visible, and internal/ headers are PRIVATE to their folder. A quoted
# include with a path ("../store/internal/store_internal.h",
# "internal/x.h") would go around that, so it is refused here; the one
# exception is the plugin ABI, <agendad/plugin.h>'s quoted form.
file(GLOB_RECURSE files ${ROOT}/*.c ${ROOT}/*.h)
set(bad "")
foreach(f ${files})
  file(STRINGS ${f} lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"]*/")
  foreach(line ${lines})
    if(NOT line MATCHES "\"agendad/plugin.h\"")
      file(RELATIVE_PATH rel ${ROOT} ${f})
      string(APPEND bad "  ${rel}: ${line}\n")
    endif()
  endforeach()
endforeach()
file(GLOB top ${ROOT}/*.c ${ROOT}/*.h)
foreach(f ${top})
  string(APPEND bad "  ${f}: a source at the top of core/src belongs in a folder\n")
endforeach()
if(bad)
  message(FATAL_ERROR "core includes must name another folder's contract header bare:\n${bad}")
endif()
