#!/usr/bin/python3
"""Writes the image-folder test set and torchvision's preprocessing of it.

Run from this directory with Debian's python3-torchvision (0.14) and PIL:

    /usr/bin/python3 gen_reference.py

It draws small deterministic images (a gradient plus seeded noise) into
images/<class>/, saved as RGB, grayscale, RGBA and palette PNG and as JPEG
with and without chroma subsampling, then reads them with torchvision's
ImageFolder (default loader: PIL, convert("RGB")) through Resize(resize),
CenterCrop(crop), ToTensor and Normalize, and saves each case's batch as
<case>.npy (float32 [N,3,H,W]) and the labels as labels.npy (int64). The Go
test (folder_test.go) must reproduce every PNG value exactly and the JPEG
values within the decoders' rounding (PIL uses libjpeg, rramc Go's
image/jpeg).
"""
import os

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms

rng = np.random.default_rng(20261130)


def picture(w, h):
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 255 // max(w + h - 2, 1)], -1)
    noise = rng.integers(-40, 41, size=(h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


os.makedirs("images/apple", exist_ok=True)
os.makedirs("images/banana/sub", exist_ok=True)
os.makedirs("images/cherry", exist_ok=True)

Image.fromarray(picture(37, 23)).save("images/apple/a_rgb.png")
Image.fromarray(picture(20, 31)[:, :, 0]).save("images/apple/b_gray.png")
rgba = np.concatenate([picture(26, 26), rng.integers(0, 256, size=(26, 26, 1)).astype(np.uint8)], -1)
Image.fromarray(rgba, "RGBA").save("images/banana/c_rgba.png")
Image.fromarray(picture(33, 18)).convert("P", palette=Image.ADAPTIVE, colors=64).save("images/banana/sub/d_palette.png")
Image.fromarray(picture(40, 30)).save("images/cherry/e_444.jpg", quality=95, subsampling=0)
Image.fromarray(picture(24, 40)).save("images/cherry/f_420.jpeg", quality=90, subsampling=2)

mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
cases = {
    # name: (resize, crop (h, w))
    "down_r16_c14": (16, (14, 14)),
    "up_r48_c40x44": (48, (40, 44)),
    "pad_r10_c12": (10, (12, 12)),
    "odd_r21_c11x16": (21, (11, 16)),
}
for name, (resize, crop) in cases.items():
    tf = transforms.Compose([transforms.Resize(resize), transforms.CenterCrop(crop), transforms.ToTensor(), transforms.Normalize(mean, std)])
    ds = torchvision.datasets.ImageFolder("images", transform=tf)
    xs = torch.stack([ds[i][0] for i in range(len(ds))]).numpy().astype(np.float32)
    np.save(name + ".npy", xs)
    labels = np.array([ds[i][1] for i in range(len(ds))], dtype=np.int64)
np.save("labels.npy", labels)
with open("files.txt", "w") as f:
    for p, _ in ds.samples:
        f.write(os.path.relpath(p, "images") + "\n")
print(torchvision.__version__, [s for s, _ in ds.samples])
