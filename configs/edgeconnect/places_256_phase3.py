# EdgeConnect on Places2, phase 3 of 3: the image model G2/D2 on the edges the frozen edge
# model G1 predicts in the holes (Canny edges elsewhere): the authors' MODEL: 3
# ('edge_inpaint'). Starts from phase 2's checkpoint, which holds both trained models.
#
# The authors' MODEL: 4 trains G1 and G2 jointly (model.phase=4, optimizers for all four
# networks); the paper's last step, end to end without D1 at lr 1e-6, is
# edgeconnect_places_256_phase4.py.
#   python tools/train.py configs/edgeconnect/places_256_phase3.py
_base_ = ['./places_256_phase2.py']
model = dict(phase=3)
load_from = 'work_dirs/edgeconnect_places_256_phase2/iter_2000000.pth'
