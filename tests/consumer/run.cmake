# Installs the built ember into a scratch prefix, then configures, builds and runs
# tests/consumer against it with find_package(ember). Used by the install_and_find_package test.
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGV}\n${out}\n${err}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
message(STATUS "consumer project built and ran against the installed ember")

# An internal header is not installed: a program including one fails to find it.
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer_internal -B ${WORK_DIR}/build_internal
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release)
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build_internal
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(result EQUAL 0)
  message(FATAL_ERROR "a program including core/tensor_impl.h built against the installed ember")
endif()
if(NOT "${out}${err}" MATCHES "tensor_impl.h")
  message(FATAL_ERROR "the internal-header program failed for another reason:\n${out}\n${err}")
endif()
foreach(header core/tensor_impl.h core/backend/backend.h core/function/trace.h core/ops/run_op.h)
  if(EXISTS ${WORK_DIR}/prefix/include/ember/${header})
    message(FATAL_ERROR "the internal header ${header} was installed")
  endif()
endforeach()
message(STATUS "internal headers are not installed; a program including one does not build")
