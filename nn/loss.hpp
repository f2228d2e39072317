#pragma once
// Loss modules: loss(pred, target) calls the function of the same name in nn::functional.
#include "nn/functional.hpp"
#include "nn/module.hpp"

namespace xg::nn {

using functional::Reduction;

/// Base of the loss modules: the one-argument forward is not meaningful and throws.
class Loss : public Module {
 public:
  explicit Loss(Reduction reduction) : reduction_(reduction) {}
  virtual Tensor forward(const Tensor& pred, const Tensor& target) = 0;
  Tensor forward(const Tensor& x) override;
  Tensor operator()(const Tensor& pred, const Tensor& target, SourceSite site = SourceSite::current()) {
    SiteScope site_scope(site);
    return forward(pred, target);
  }
  Reduction reduction() const { return reduction_; }

 protected:
  std::string reduction_name() const;
  Reduction reduction_;
};

class MSELoss : public Loss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::Mean) : Loss(reduction) {}
  using Loss::forward;
  Tensor forward(const Tensor& pred, const Tensor& target) override;
  std::string repr() const override;
};

class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(Reduction reduction = Reduction::Mean) : Loss(reduction) {}
  using Loss::forward;
  Tensor forward(const Tensor& logits, const Tensor& target) override;
  std::string repr() const override;
};

class BCELoss : public Loss {
 public:
  explicit BCELoss(Reduction reduction = Reduction::Mean) : Loss(reduction) {}
  using Loss::forward;
  Tensor forward(const Tensor& prob, const Tensor& target) override;
  std::string repr() const override;
};

class BCEWithLogitsLoss : public Loss {
 public:
  explicit BCEWithLogitsLoss(Reduction reduction = Reduction::Mean) : Loss(reduction) {}
  using Loss::forward;
  Tensor forward(const Tensor& logits, const Tensor& target) override;
  std::string repr() const override;
};

}  // namespace xg::nn
