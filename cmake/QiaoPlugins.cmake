# A plugin (a codec, an adapter, the crypto library) is its folder plus one line:
#
#   qiao_plugin_folder(tcp)            in adapters/CMakeLists.txt (or codecs/, or the top level)
#
# adds the folder when QIAO_PLUGIN_TCP is on (the default), so a site can build without it. The
# folder's CMakeLists.txt builds its library and says how it registers:
#
#   qiao_register_plugin(qiao_adapter_tcp HEADER adapters/tcp/register.hpp
#                        FUNCTION qiao::tcp::register_plugins REQUIRES http)
#
# app/ links every registered library and generates the list plugins.cpp walks at start; REQUIRES
# names the plugins whose libraries this one links, so leaving one of those out is a configure
# error rather than a link error.

function(qiao_plugin_option_name folder out)
  string(TOUPPER "QIAO_PLUGIN_${folder}" name)
  set(${out} ${name} PARENT_SCOPE)
endfunction()

macro(qiao_plugin_folder folder)
  qiao_plugin_option_name(${folder} _qiao_plugin_option)
  option(${_qiao_plugin_option} "Build the ${folder} plugin" ON)
  if(${_qiao_plugin_option})
    add_subdirectory(${folder})
  else()
    set_property(GLOBAL APPEND PROPERTY QIAO_PLUGINS_LEFT_OUT ${folder})
  endif()
endmacro()

# A configure error naming the plugins `who` needs that the build leaves out.
function(qiao_require_plugins who how_to_drop)
  foreach(required IN LISTS ARGN)
    qiao_plugin_option_name(${required} option)
    if(NOT ${option})
      message(FATAL_ERROR "${who} needs the ${required} plugin: configure with -D${option}=ON${how_to_drop}")
    endif()
  endforeach()
endfunction()

function(qiao_register_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 PLUGIN "" "HEADER;FUNCTION" "REQUIRES")
  if(NOT PLUGIN_HEADER OR NOT PLUGIN_FUNCTION)
    message(FATAL_ERROR "qiao_register_plugin(${target}): HEADER and FUNCTION are required")
  endif()
  get_filename_component(folder ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  qiao_plugin_option_name(${folder} own_option)
  qiao_require_plugins("the ${folder} plugin" ", or leave ${folder} out too with -D${own_option}=OFF" ${PLUGIN_REQUIRES})
  set_property(GLOBAL APPEND PROPERTY QIAO_PLUGIN_TARGETS ${target})
  set_property(GLOBAL APPEND PROPERTY QIAO_PLUGIN_HEADERS ${PLUGIN_HEADER})
  set_property(GLOBAL APPEND PROPERTY QIAO_PLUGIN_FUNCTIONS ${PLUGIN_FUNCTION})
endfunction()
