# The window's loader and the models it keeps beside the timeline, without a
# window (no ImGui, no GL): the window links it, and so do the tests, the fuzz
# harness and the load benchmark, which need no FXS_BUILD_UI.
add_library(fxs_ui_core STATIC
  ${CMAKE_CURRENT_LIST_DIR}/damage_tracker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ingest_worker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pairing_finisher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/side_models.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wake_arrows.cpp
)
target_link_libraries(fxs_ui_core PUBLIC fxs_replay Threads::Threads)
