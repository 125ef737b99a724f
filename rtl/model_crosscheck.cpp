#include "model_crosscheck.hpp"

namespace sdla {

void ModelCrosscheck::compare(MacPass& pass) {
  model_.execute(shadow_);
  pass.has_reference = true;
  pass.reference = shadow_.activity;
  bool same = shadow_.status == pass.status && shadow_.activity == pass.activity;
  for (std::size_t i = 0; same && i < std::size_t(pass.vectors) * pass.atomic_k; ++i)
    same = shadow_.psums[i] == pass.psums[i];
  if (!same) pass.status = MacStatus::model_mismatch;
}

}  // namespace sdla
