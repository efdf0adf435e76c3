// Which model reads which record type is declared once, by the model
// (replay/record_types.h); the report's model set and the window's route by
// those declarations, so both read every type a trace can hold.
#include <gtest/gtest.h>

#include "replay/record_types.h"
#include "replay/trace_models.h"
#include "ui/ingest_worker.h"

namespace fxs {
namespace {

TEST(RecordTypes, KnowsEveryTypeATraceCanHold) {
  // Raw stacks never reach a trace; counted calls reach the models as the calls they count.
  for (uint32_t t = 1; t <= FXS_REC_FUTEX_COUNT; t++)
    EXPECT_EQ(RecordTypes::known(t), t != FXS_REC_USTACK_RAW && t != FXS_REC_FUTEX_COUNT) << t;
  EXPECT_FALSE(RecordTypes::known(0));
  EXPECT_FALSE(RecordTypes::known(FXS_REC_FUTEX_COUNT + 1));
  EXPECT_FALSE(RecordTypes::known(1000));
}

TEST(RecordTypes, SetsAndTheUnknown) {
  const RecordTypes a{FXS_REC_FUTEX, FXS_REC_WAKE};
  EXPECT_TRUE(a.has(FXS_REC_FUTEX));
  EXPECT_FALSE(a.has(FXS_REC_TASK));
  EXPECT_FALSE(a.has(999));
  const RecordTypes b = a | RecordTypes::unknown();
  EXPECT_TRUE(b.has(999));
  EXPECT_TRUE(b.has(FXS_REC_USTACK_RAW));  // unknown in a trace
  EXPECT_FALSE(b.has(FXS_REC_TASK));
  EXPECT_EQ(b.without(RecordTypes{FXS_REC_WAKE}), RecordTypes{FXS_REC_FUTEX} | RecordTypes::unknown());
  EXPECT_TRUE(b.without(b).empty());
  EXPECT_FALSE(RecordTypes{}.has(FXS_REC_FUTEX));
}

TEST(RecordTypes, TheReportReadsEveryTypeATraceCanHold) {
  for (uint32_t t = 0; t < 64; t++) {
    if (!RecordTypes::known(t)) continue;
    EXPECT_TRUE(TraceModels::kReads.has(t)) << "no model of the report reads type " << t;
  }
  EXPECT_TRUE(TraceModels::kReads.has(4096)) << "the futex model counts the unknown types";
}

TEST(RecordTypes, TheWindowReadsWhatTheReportReads) {
  RecordTypes only_report = TraceModels::kReads.without(ui::IngestWorker::kReads);
  RecordTypes only_window = ui::IngestWorker::kReads.without(TraceModels::kReads);
  only_report.for_each_known([](uint32_t t) { ADD_FAILURE() << "only the report reads type " << t; });
  only_window.for_each_known([](uint32_t t) { ADD_FAILURE() << "only the window reads type " << t; });
  EXPECT_EQ(TraceModels::kReads, ui::IngestWorker::kReads);
}

}  // namespace
}  // namespace fxs
