"""Runs every examples/python/NAME.py into OUT and checks that it wrote OUT/NAME.png
(ctest entry python_examples). usage: run_examples.py EXAMPLES_DIR OUT_DIR"""
import os
import subprocess
import sys

examples, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
failed = []
for name in sorted(f for f in os.listdir(examples) if f.endswith(".py")):
    figure = os.path.join(out, name[:-3] + ".png")
    if os.path.exists(figure):
        os.remove(figure)
    print(f"--- {name}", flush=True)
    rc = subprocess.run([sys.executable, os.path.join(examples, name), out]).returncode
    if rc != 0 or not os.path.isfile(figure) or os.path.getsize(figure) == 0:
        failed.append(f"{name}: exit {rc}, figure {'missing' if not os.path.isfile(figure) else 'empty'}")
if failed:
    print("FAILED:\n  " + "\n  ".join(failed))
    sys.exit(1)
print("every example wrote its figure")
