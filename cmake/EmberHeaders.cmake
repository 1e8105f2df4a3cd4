# Which headers are public. A header is internal when its opening comment (the first four lines)
# says "(internal"; every header of kernels/ and cuda/ is internal. Used by the install rule and by
# tests/layering.cmake.

# True in `result` when `header` (a path) is marked internal.
function(ember_is_internal_header result header)
  file(STRINGS ${header} opening LIMIT_COUNT 4)
  string(FIND "${opening}" "(internal" at)
  if(at EQUAL -1)
    set(${result} FALSE PARENT_SCOPE)
  else()
    set(${result} TRUE PARENT_SCOPE)
  endif()
endfunction()

# The public headers under `root` (relative paths): core/, io/, optim/, distribute/ and layers/, less the
# internal ones.
function(ember_public_headers result root)
  # Re-globbed when headers come or go (configure time; script mode has no CONFIGURE_DEPENDS).
  if(CMAKE_SCRIPT_MODE_FILE)
    set(depends "")
  else()
    set(depends CONFIGURE_DEPENDS)
  endif()
  file(GLOB_RECURSE headers ${depends} RELATIVE ${root} ${root}/core/*.h ${root}/io/*.h ${root}/optim/*.h ${root}/distribute/*.h
       ${root}/layers/*.h)
  set(public "")
  foreach(header ${headers})
    ember_is_internal_header(internal ${root}/${header})
    if(NOT internal)
      list(APPEND public ${header})
    endif()
  endforeach()
  list(SORT public)
  set(${result} ${public} PARENT_SCOPE)
endfunction()
