"""toolbox.video.flow: DIS flow, warping, the occlusion check and flow completion."""
import cv2
import numpy as np

from toolbox.video.flow import complete_flow, dis_flow, occlusion_mask, warp


def _texture(h=96, w=128, seed=0):
    noise = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    return cv2.GaussianBlur(noise, (7, 7), 2)


def test_dis_flow_and_warp_recover_a_known_shift():
    img = _texture()
    a, b = img[10:70, 10:110], img[12:72, 7:107]      # a[y, x] = b[y - 2, x + 3]
    flow = dis_flow(a, b)
    inner = flow[10:-10, 10:-10]
    assert np.allclose(np.median(inner.reshape(-1, 2), 0), (3, -2), atol=0.2)
    warped, inside = warp(b, flow)
    ok = inside.copy()
    ok[:5] = ok[-5:] = False
    ok[:, :5] = ok[:, -5:] = False
    assert np.abs(warped[ok].astype(int) - a[ok]).mean() < 4


def test_occlusion_check_rejects_flow_that_leaves_the_frame_or_does_not_lead_back():
    h, w = 40, 50
    forward = np.zeros((h, w, 2), np.float32)
    forward[..., 0] = 5                                  # everything moves 5 px right
    backward = -forward
    valid = occlusion_mask(forward, backward)
    assert valid[:, :w - 6].all() and not valid[:, w - 4:].any()   # leaves the frame
    backward[10:20, 20:30] = 0                           # does not lead back there
    valid = occlusion_mask(forward, backward)
    assert not valid[10:20, 16:24].any() and valid[30:, :40].all()


def test_flow_completion_replaces_the_hole_by_the_surrounding_flow():
    flow = np.zeros((40, 50, 2), np.float32)
    flow[..., 0], flow[..., 1] = 2.5, -1.0
    hole = np.zeros((40, 50), np.uint8)
    hole[10:25, 15:35] = 1
    flow[hole > 0] = 40                                  # garbage inside the hole
    done = complete_flow(flow, hole)
    assert np.allclose(done[..., 0], 2.5, atol=1e-3) and np.allclose(done[..., 1], -1, atol=1e-3)
    assert np.array_equal(complete_flow(flow, np.ones_like(hole)), np.zeros_like(flow))
