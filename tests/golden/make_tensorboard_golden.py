"""TensorBoard fixtures (tests/data/tensorboard/), both ways.

1. tf_written.tfevents: summaries written by TensorFlow 2.21's tf.summary, which ember's reader
   must read (tests/io/test_summary.cpp).
2. tensorboard_written.tfevents: values in TensorFlow 1's forms (simple_value, HistogramProto,
   Summary.Image), written by TensorBoard's own EventFileWriter, the writer PyTorch's
   SummaryWriter uses: ember's reader must read those too.
3. ember_written/: event files written by ember (tests/tools/write_summaries.cpp), and
   tensorboard_read.json: what TensorBoard's own reader (plugin_event_accumulator, the one its
   dashboards use) finds in them. tests/io/test_summary.cpp checks that this is what ember meant
   to write and that ember still writes the same files.

Run in a venv with tensorflow-cpu and tensorboard from PyPI:
  python tests/golden/make_tensorboard_golden.py build/release/tests/ember_write_summaries
"""
import glob
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "tensorboard")


def write_tensorflow_fixture():
    import tensorflow as tf

    with tempfile.TemporaryDirectory() as logs:
        writer = tf.summary.create_file_writer(logs)
        with writer.as_default():
            tf.summary.scalar("loss", 0.25, step=3)
            tf.summary.histogram("w", tf.constant([1.0, 2.0, 2.5, 4.0]), step=3, buckets=3)
            tf.summary.histogram("one", tf.constant([7.0, 7.0]), step=4, buckets=2)
            tf.summary.image("img", np.zeros((1, 2, 3, 1), np.float32) + 0.5, step=3)
            tf.summary.text("note", "hello", step=3)
        writer.close()
        (path,) = glob.glob(os.path.join(logs, "events.out.tfevents.*"))
        shutil.copyfile(path, os.path.join(OUT, "tf_written.tfevents"))


def write_tensorboard_fixture():
    from PIL import Image
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    png = io.BytesIO()
    Image.fromarray(np.array([[0, 50, 100], [150, 200, 250]], np.uint8)).save(png, format="PNG")
    histogram = summary_pb2.HistogramProto(
        min=1.0, max=4.0, num=4, sum=9.5, sum_squares=27.25, bucket_limit=[2.0, 3.0, 4.0],
        bucket=[1.0, 2.0, 1.0])
    image = summary_pb2.Summary.Image(height=2, width=3, colorspace=1,
                                      encoded_image_string=png.getvalue())
    values = [
        summary_pb2.Summary.Value(tag="legacy_loss", simple_value=0.5),
        summary_pb2.Summary.Value(tag="legacy_histogram", histo=histogram),
        summary_pb2.Summary.Value(tag="legacy_image", image=image),
    ]
    with tempfile.TemporaryDirectory() as logs:
        writer = EventFileWriter(logs)
        for step, value in enumerate(values, start=1):
            writer.add_event(Event(wall_time=1.7e9 + step, step=step,
                                   summary=summary_pb2.Summary(value=[value])))
        writer.close()
        (path,) = glob.glob(os.path.join(logs, "events.out.tfevents.*"))
        shutil.copyfile(path, os.path.join(OUT, "tensorboard_written.tfevents"))


def read_with_tensorboard(path):
    """Every tensor value TensorBoard finds in the file, by tag."""
    from PIL import Image
    from tensorboard.backend.event_processing import plugin_event_accumulator as pea
    from tensorboard.util import tensor_util

    accumulator = pea.EventAccumulator(path, size_guidance={pea.TENSORS: 0})
    accumulator.Reload()
    out = {}
    for tag in accumulator.Tags()["tensors"]:
        plugin = accumulator.SummaryMetadata(tag).plugin_data.plugin_name
        entries = []
        for event in accumulator.Tensors(tag):
            array = tensor_util.make_ndarray(event.tensor_proto)
            entry = {"step": int(event.step), "dtype": str(array.dtype), "shape": list(array.shape)}
            if plugin == "images":
                width, height = int(array[0]), int(array[1])
                pixels = [np.asarray(Image.open(io.BytesIO(png))).reshape(-1).tolist() for png in array[2:]]
                entry.update(width=width, height=height, pixels=pixels)
            elif array.dtype == object:
                entry["strings"] = [s.decode() for s in array.reshape(-1)]
            else:
                entry["values"] = array.astype(np.float64).reshape(-1).tolist()
            entries.append(entry)
        out[tag] = {"plugin": plugin, "events": entries}
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(OUT, exist_ok=True)
    write_tensorflow_fixture()
    write_tensorboard_fixture()
    ember_dir = os.path.join(OUT, "ember_written")
    shutil.rmtree(ember_dir, ignore_errors=True)
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([sys.argv[1], work], check=True, stdout=subprocess.DEVNULL)
        read = {}
        for run in ("summaries", "fit/train", "fit/validation"):
            (path,) = glob.glob(os.path.join(work, run, "events.out.tfevents.*"))
            name = run.replace("/", "_") + ".tfevents"
            os.makedirs(ember_dir, exist_ok=True)
            shutil.copyfile(path, os.path.join(ember_dir, name))
            read[name] = read_with_tensorboard(os.path.join(ember_dir, name))
    with open(os.path.join(OUT, "tensorboard_read.json"), "w") as f:
        json.dump(read, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
