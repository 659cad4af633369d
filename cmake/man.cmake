# Run by the build after linking ferry: write the manual page from the
# command table (`ferry __man`, cli/cmd_man.c) to OUTPUT.
# Variables: FERRY (the binary), OUTPUT.
execute_process(COMMAND ${FERRY} __man OUTPUT_FILE ${OUTPUT}.tmp
	RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
	message(FATAL_ERROR "ferry __man failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUTPUT}.tmp ${OUTPUT})
file(REMOVE ${OUTPUT}.tmp)
