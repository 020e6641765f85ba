"""What a run reports: one row per peer, the table, the summary lines under it, the JSON file."""

import json
import os


def row(name, kind, per_iter, recipe, recipe_measured, cost, acc, test_acc, device_name=None, extra=None):
    r = {"name": name, "kind": kind, "seconds_per_iteration": per_iter, "recipe_seconds": recipe,
         "recipe_measured": recipe_measured, "final_cost": cost, "train_accuracy": acc, "test_accuracy": test_acc}
    if device_name:
        r["device_name"] = device_name
    if extra:
        r.update(extra)
    return r


def add_ratios(rows):
    """Each row's time per iteration over digitnet float's on the same kind of device."""
    best = {r["kind"]: r["seconds_per_iteration"] for r in rows if r["name"] == f"digitnet {r['kind']} float"}
    for r in rows:
        if r["kind"] in best:
            r["ratio"] = r["seconds_per_iteration"] / best[r["kind"]]


def fmt_time(seconds):
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds * 1e6:.1f} us"


def print_table(rows):
    header = f"{'implementation':<44} {'per iter':>10} {'800 iters':>13} {'final cost':>11} {'train':>7} " \
             f"{'test':>7} {'x digitnet':>11}"
    print(header)
    print("-" * len(header))
    for r in rows:
        recipe = fmt_time(r["recipe_seconds"]) + ("" if r["recipe_measured"] else " *")
        cost = "-" if r["final_cost"] is None else f"{r['final_cost']:.6f}"
        acc = "-" if r["train_accuracy"] is None else f"{100 * r['train_accuracy']:.2f}%"
        tacc = "-" if r["test_accuracy"] is None else f"{100 * r['test_accuracy']:.2f}%"
        ratio = "-" if r.get("ratio") is None else f"{r['ratio']:.2f}"
        print(f"{r['name']:<44} {fmt_time(r['seconds_per_iteration']):>10} {recipe:>13} {cost:>11} {acc:>7} "
              f"{tacc:>7} {ratio:>11}")
    print("  * extrapolated from the time per iteration (not run to 800 iterations)")
    print("  x digitnet: time per iteration / digitnet float's on the same kind of device (cpu or gpu)")


def print_summary(rows, floor, m, agreement, busy_before, busy_after, others_share):
    """The lines under the table: the check, the floor of one iteration, the target, the load."""
    print(f"Check: the seed's loop and the vectorised math agree at the initial weights to {agreement:.1e} "
          f"(relative, cost and gradients)")
    print(f"Floor of one iteration (m {m}, 400-25-10): {floor['gemm_flop_per_iteration'] / 1e6:.1f} MFLOP in GEMMs; "
          f"minimum traffic {floor['min_bytes_per_iteration_float'] / 1e6:.2f} MB in float, "
          f"{floor['min_bytes_per_iteration_double'] / 1e6:.2f} MB in double")
    print(f"  CPU GEMM rate ({floor['cpu_gemm_note']}): SGEMM {floor['cpu_sgemm_flops_per_s'] / 1e9:.1f} GFLOP/s, "
          f"DGEMM {floor['cpu_dgemm_flops_per_s'] / 1e9:.1f} GFLOP/s -> compute floor "
          f"{fmt_time(floor['gemm_flop_per_iteration'] / floor['cpu_sgemm_flops_per_s'])} float, "
          f"{fmt_time(floor['gemm_flop_per_iteration'] / floor['cpu_dgemm_flops_per_s'])} double per iteration")
    if "sgemm_flops_per_s" in floor:
        print(f"  GPU ({floor['gpu']}): SGEMM {floor['sgemm_flops_per_s'] / 1e12:.1f} TFLOP/s "
              f"(torch.mm {floor['sgemm_size']}^2, CUDA events, median; TF32 {'on' if floor['tf32'] else 'off'}), "
              f"device-to-device copy {floor['d2d_copy_bytes_per_s'] / 1e9:.0f} GB/s (read + write) -> floor "
              f"{fmt_time(floor['gemm_flop_per_iteration'] / floor['sgemm_flops_per_s'])} compute, "
              f"{fmt_time(floor['min_bytes_per_iteration_float'] / floor['d2d_copy_bytes_per_s'])} memory")
    else:
        print("  GPU: none here (no SGEMM rate or copy bandwidth measured)")
    for r in rows:
        if r.get("ratio") is not None and r["name"].startswith("numpy vectorised"):
            verdict = "met" if r["ratio"] >= 4 else "MISSED"
            print(f"Target (digitnet CPU float >= 4x faster per iteration than numpy vectorised float64): "
                  f"{r['ratio']:.2f}x, {verdict}")
    if busy_before is not None and busy_after is not None:
        print(f"Machine busy before/after the run: {100 * busy_before:.0f}% / {100 * busy_after:.0f}%")
    if others_share is not None:
        print(f"Other processes took {100 * others_share:.0f}% of the CPUs during the run"
              + (": timings DISTURBED, run again on a quiet machine" if others_share > 0.05 else ""))


def write_json(path, result):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    print(f"JSON written to {path}")
