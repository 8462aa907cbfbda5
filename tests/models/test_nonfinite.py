"""The non-finite guard looks at gradients too: a finite loss with a NaN gradient stops
training (or skips the update) before the optimiser step writes NaN into the weights."""
import pytest
import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from toolbox.bases import BaseReconstructionLoss
from toolbox.models import NonFiniteGuard, NonFiniteLossError

from .test_inpaintor import _changed, _data, _model, _optim, _params


class _SqrtAtZero(BaseReconstructionLoss):
    """``mean sqrt((pred - pred)^2)``: the value is 0, the gradient NaN (sqrt' at 0 is
    inf, times 0)."""

    def forward(self, pred, target, mask):
        return (pred - pred.detach()).pow(2).sqrt().mean()


def _nan_gradient_model(**kw):
    return _model(losses=[dict(type='L1Loss'), _SqrtAtZero(), dict(type='HingeGANLoss')], **kw)


def test_a_finite_loss_with_a_nan_gradient_stops_training_naming_the_parameter():
    torch.manual_seed(0)
    model = _nan_gradient_model()
    optim = _optim(model)
    before = _params(model.generator)
    with pytest.raises(NonFiniteLossError,
                       match=r'iteration 0: the gradient of generator\.\S+ is non-finite '
                             r'\(\d+ of \d+ values\) while the loss is finite'):
        model.train_step(_data(), optim)
    assert not any(_changed(before, model.generator))
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_skip_mode_leaves_the_weights_and_the_optimiser_state_unchanged():
    torch.manual_seed(0)
    model = _nan_gradient_model(nonfinite='skip', max_consecutive_skips=2)
    optim = _optim(model)
    before, d_before = _params(model.generator), _params(model.discriminator)
    model.train_step(_data(), optim)
    assert not any(_changed(before, model.generator))          # G's update skipped
    assert not optim['generator'].optimizer.state              # Adam never stepped
    assert all(p.grad is None or not p.grad.any() for p in model.generator.parameters())
    assert any(_changed(d_before, model.discriminator))        # D's finite update kept
    with pytest.raises(NonFiniteLossError, match=r'iteration 1: .*2 iterations in a row'):
        model.train_step(_data(), optim)


def _nan_grad_step(wrapper, param):
    """One guarded update whose loss (0) is finite and whose gradient is NaN."""
    loss = (param - param.detach()).pow(2).sqrt().sum()
    return NonFiniteGuard('test').update(loss, {'loss': loss}, [wrapper], 0)


def test_a_loss_scaler_keeps_its_own_handling_of_inf_gradients():
    """float16 AMP (AmpOptimWrapper) produces inf gradients whenever its scale is too
    large; its scaler skips those steps and lowers the scale. The guard leaves it so."""
    param = torch.nn.Parameter(torch.ones(3))
    wrapper = AmpOptimWrapper.__new__(AmpOptimWrapper)   # its constructor demands CUDA
    OptimWrapper.__init__(wrapper, torch.optim.SGD([param], lr=0.1))
    wrapper.loss_scaler = torch.amp.GradScaler('cpu', init_scale=2.0 ** 8)
    wrapper._scale_update_param = None
    assert _nan_grad_step(wrapper, param)                 # no error: the scaler decides
    assert torch.equal(param.detach(), torch.ones(3))     # and it skipped the step
    assert wrapper.loss_scaler.get_scale() < 2.0 ** 8
    plain = OptimWrapper(torch.optim.SGD([param], lr=0.1))
    with pytest.raises(NonFiniteLossError, match='gradient of a parameter of shape'):
        _nan_grad_step(plain, param)


def test_accumulated_gradients_are_checked_when_the_step_comes():
    param = torch.nn.Parameter(torch.ones(3))
    wrapper = OptimWrapper(torch.optim.SGD([param], lr=0.1), accumulative_counts=2)
    wrapper.initialize_count_status(torch.nn.Linear(1, 1), 0, 2)
    guard = NonFiniteGuard('test')
    loss = (param - param.detach()).pow(2).sqrt().sum()
    assert guard.update(loss, {'loss': loss}, [wrapper], 0)        # accumulating only
    finite = param.sum()
    with pytest.raises(NonFiniteLossError, match='iteration 1: the gradient'):
        guard.update(finite, {'loss': finite}, [wrapper], 1)
    assert torch.equal(param.detach(), torch.ones(3))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_amp_training_goes_on_through_overflowing_steps():
    """The real AmpOptimWrapper on CUDA: a first scale of 2^40 overflows float16, the
    scaler skips and lowers it, and training goes on under the guard."""
    from toolbox.models import MultiOptimWrapperConstructor
    torch.manual_seed(0)
    model = _model().cuda()
    amp = dict(type='AmpOptimWrapper', loss_scale=dict(init_scale=2.0 ** 40),
               optimizer=dict(type='Adam', lr=1e-3))
    optim = MultiOptimWrapperConstructor(dict(generator=amp, discriminator=dict(amp)))(model)
    data = _data()
    data['inputs'] = {k: [t.cuda() for t in v] for k, v in data['inputs'].items()}
    for _ in range(3):
        model.train_step(data, optim)
    assert optim['generator'].loss_scaler.get_scale() < 2.0 ** 40
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_huge_but_finite_gradients_are_not_refused():
    """The fused check's 2-norm overflows beyond about 1e19; such gradients are still
    finite, and the optimiser (or gradient clipping) is theirs to handle."""
    from toolbox.models.nonfinite import gradients_finite
    params = [torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(2))]
    params[0].grad = torch.tensor([1e30, -1e30, 1.0])
    params[1].grad = torch.ones(2)
    assert gradients_finite(params)
    params[1].grad = torch.tensor([1.0, float('nan')])
    assert not gradients_finite(params)
