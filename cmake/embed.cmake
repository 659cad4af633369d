# ferry_embed(NAME FILES OUTPUT): generate OUTPUT, a C file that defines
#   const struct ferry_asset NAME[];   (terminated by {NULL, NULL, 0})
# with one entry per file: its base name, its bytes (NUL-terminated) and its
# length. Regenerated when any of the files changes. See include/ferry/asset.h.
function(ferry_embed name files output)
	set(script ${CMAKE_CURRENT_BINARY_DIR}/${name}_gen.cmake)
	file(WRITE ${script} "
set(out \"#include <stddef.h>\\n#include \\\"ferry/asset.h\\\"\\n\")
set(table \"\")
set(i 0)
foreach(f IN LISTS FILES)
	file(READ \${f} hex HEX)
	string(LENGTH \"\${hex}\" hexlen)
	math(EXPR len \"\${hexlen} / 2\")
	string(REGEX REPLACE \"([0-9a-f][0-9a-f])\" \"0x\\\\1,\" bytes \"\${hex}\")
	get_filename_component(base \${f} NAME)
	string(APPEND out \"static const unsigned char a\${i}[] = {\${bytes}0x00};\\n\")
	string(APPEND table \"\\t{\\\"\${base}\\\", a\${i}, \${len}},\\n\")
	math(EXPR i \"\${i} + 1\")
endforeach()
string(APPEND out \"const struct ferry_asset ${name}[] = {\\n\${table}\\t{NULL, NULL, 0}\\n};\\n\")
file(WRITE \${OUTPUT}.tmp \"\${out}\")
execute_process(COMMAND \${CMAKE_COMMAND} -E copy_if_different \${OUTPUT}.tmp \${OUTPUT})
")
	string(REPLACE ";" "\\;" files_arg "${files}")
	add_custom_command(OUTPUT ${output}
		COMMAND ${CMAKE_COMMAND} "-DFILES=${files_arg}" -DOUTPUT=${output} -P ${script}
		DEPENDS ${files} ${script}
		COMMENT "Embedding ${name}")
endfunction()
