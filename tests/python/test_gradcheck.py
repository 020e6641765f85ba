"""gradcheck: the command line's gradient check from Python (its own ctest test: it evaluates the
cost twice per parameter of a 400-25-10 network)."""
import digitnet as dn


def test_gradcheck_passes(data_path):
    result = dn.gradcheck(lambda_=1.0, data=data_path, examples=4, seed=2, device="cpu")
    assert result["passed"] and result["relative_difference"] < 1e-9
    assert [c["parameters"] for c in result["checks"]] == [38, 10285]
    assert result["checks"][1]["check"].startswith("4 random examples of " + data_path)
    assert result["device"].startswith("cpu")
