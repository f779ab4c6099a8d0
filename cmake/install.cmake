# What `cmake --install` adds beyond the binary, plugins, header and .pc
# file: the default config, the systemd units with the sysusers.d and
# tmpfiles.d files of their user, the man page and the docs
# (README.md and doc/*.md side by side in share/doc/agendad: the man page
# sends readers to admin.md there for every config key).
#
# Destinations are relative to the prefix, so that `cmake --install build
# --prefix DIR` puts everything under DIR. With CMAKE_INSTALL_PREFIX=/usr
# (a package) the config goes to /etc/agendad, where the units'
# ConfigurationDirectory= expects it.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(agendad_sysconf_default "/etc/agendad")
else()
  set(agendad_sysconf_default "${CMAKE_INSTALL_SYSCONFDIR}/agendad")
endif()
set(AGENDAD_SYSCONFDIR "${agendad_sysconf_default}" CACHE STRING
  "Where the default config is installed (relative: under the prefix)")
set(AGENDAD_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
  "Where the systemd units are installed (relative: under the prefix)")
set(AGENDAD_SYSUSERSDIR "lib/sysusers.d" CACHE STRING
  "Where the sysusers.d file of the user agendad is installed (relative: under the prefix)")
set(AGENDAD_TMPFILESDIR "lib/tmpfiles.d" CACHE STRING
  "Where the tmpfiles.d file of /var/lib/agendad is installed (relative: under the prefix)")

set(AGENDAD_BIN "${CMAKE_INSTALL_FULL_BINDIR}/agendad")
foreach(unit agendad.service agendad.socket agendad-export.service)
  configure_file(${PROJECT_SOURCE_DIR}/systemd/${unit}.in ${PROJECT_BINARY_DIR}/systemd/${unit} @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/systemd/${unit} DESTINATION ${AGENDAD_SYSTEMD_UNITDIR})
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/systemd/agendad-export.timer ${PROJECT_SOURCE_DIR}/systemd/agendad-mail.socket
        DESTINATION ${AGENDAD_SYSTEMD_UNITDIR})
# The units run as the system user agendad: `systemd-sysusers agendad.conf`
# and `systemd-tmpfiles --create agendad.conf` make it and its state
# directory (a package's maintainer scripts run them).
install(FILES ${PROJECT_SOURCE_DIR}/systemd/agendad.sysusers DESTINATION ${AGENDAD_SYSUSERSDIR}
        RENAME agendad.conf)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/agendad.tmpfiles DESTINATION ${AGENDAD_TMPFILESDIR}
        RENAME agendad.conf)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/ DESTINATION ${AGENDAD_SYSCONFDIR})
install(FILES ${PROJECT_SOURCE_DIR}/doc/agendad.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/doc/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md")
