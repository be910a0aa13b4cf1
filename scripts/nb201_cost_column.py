#!/usr/bin/env python3
"""Adds (or rewrites) the `conv_weights` column of data/nb201_cifar10.csv.

conv_weights: the convolution weights of one NAS-Bench-201 cell in units of C^2
(C: the cell's channel count): 9 per nor_conv_3x3 edge, 1 per nor_conv_1x1 edge,
0 for none, skip_connect and avg_pool_3x3. An analytic cost, from the architecture
string alone, for multi-objective searches and up-front constraints on the table
(task.cost_columns.params: conv_weights). BatchNorm, the stem, the reduction cells and
the classifier, which do not depend on the cell's operations, are left out.

usage: python3 scripts/nb201_cost_column.py data/nb201_cifar10.csv
"""
import csv
import os
import sys

WEIGHTS = {"nor_conv_3x3": 9, "nor_conv_1x1": 1}


def conv_weights(arch):
    ops = [edge.split("~")[0] for node in arch.split("+") for edge in node.strip("|").split("|")]
    return sum(WEIGHTS.get(op, 0) for op in ops)


def main(path):
    with open(path, newline="") as f:
        text = f.read()
    ending = "\r\n" if "\r\n" in text[:4096] else "\n"   # kept as the file has it
    rows = list(csv.reader(text.splitlines()))
    header = rows[0]
    if "conv_weights" not in header:
        header.append("conv_weights")
        for r in rows[1:]:
            r.append("")
    col = header.index("conv_weights")
    for r in rows[1:]:
        r[col] = str(conv_weights(r[0]))
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        csv.writer(f, lineterminator=ending).writerows(rows)
    os.replace(tmp, path)


if __name__ == "__main__":
    main(sys.argv[1])
