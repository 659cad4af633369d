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

# ferry_embed_tree(NAME ROOT FILES OUTPUT): generate OUTPUT, a C file that
# defines
#   const struct ferry_tree_file NAME[];   (terminated by a zeroed entry)
# with one entry per file: its path relative to ROOT ("node-http/src/x.js"),
# its bytes (NUL-terminated), length and mode (0755 when executable in the
# source tree, else 0644). Regenerated when any file's content changes; a
# chmod alone is not seen until the next reconfigure (touch the file).
function(ferry_embed_tree name root files output)
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
	file(RELATIVE_PATH rel \${ROOT} \${f})
	execute_process(COMMAND test -x \${f} RESULT_VARIABLE notx)
	if(notx)
		set(mode 0644)
	else()
		set(mode 0755)
	endif()
	string(APPEND out \"static const unsigned char a\${i}[] = {\${bytes}0x00};\\n\")
	string(APPEND table \"\\t{\\\"\${rel}\\\", a\${i}, \${len}, \${mode}},\\n\")
	math(EXPR i \"\${i} + 1\")
endforeach()
string(APPEND out \"const struct ferry_tree_file ${name}[] = {\\n\${table}\\t{NULL, NULL, 0, 0}\\n};\\n\")
file(WRITE \${OUTPUT}.tmp \"\${out}\")
execute_process(COMMAND \${CMAKE_COMMAND} -E copy_if_different \${OUTPUT}.tmp \${OUTPUT})
")
	string(REPLACE ";" "\\;" files_arg "${files}")
	add_custom_command(OUTPUT ${output}
		COMMAND ${CMAKE_COMMAND} "-DFILES=${files_arg}" -DROOT=${root}
			-DOUTPUT=${output} -P ${script}
		DEPENDS ${files} ${script}
		COMMENT "Embedding ${name}")
endfunction()
