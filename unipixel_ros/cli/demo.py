"""`unipixel-ros demo`: the whole system on a generated tabletop bag.

At this stage of the project the node has no model yet: the demo replays the bag into the
node, prints what the node received, and shows that a query is refused with a clear reason.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_parser", "run_demo"]

DEFAULT_OUT = Path("out/demo")


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("demo", help="run the node on a generated tabletop bag")
    parser.add_argument("--bag", type=Path, help="bag to replay (default: generate one)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--frames", type=int, default=30, help="frames in a generated bag")
    parser.add_argument("--seed", type=int, default=0, help="scene seed of a generated bag")
    parser.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from unipixel_ros_interfaces.srv import Query

    from unipixel_ros.errors import NotReadyError
    from unipixel_ros.eval.bag_layout import BagTopics
    from unipixel_ros.eval.bag_writer import generate_sample_bag
    from unipixel_ros.ros.bag_player import play_bag
    from unipixel_ros.ros.client import UnipixelClient
    from unipixel_ros.ros.node_process import NodeProcess

    args.out.mkdir(parents=True, exist_ok=True)
    bag = args.bag
    if bag is None:
        bag = args.out / f"tabletop_seed{args.seed}_{args.frames}f"
        if not bag.exists():
            print(f"generating the sample bag {bag} ...")
            generate_sample_bag(bag, seed=args.seed, frames=args.frames)
    topics = BagTopics()
    print(f"bag: {bag}")

    log_path = args.out / "node.log"
    remappings = {"image": topics.color, "camera_info": topics.color_info}
    with NodeProcess(remappings=remappings, log_path=log_path):
        client = UnipixelClient()
        try:
            client.wait_until_ready(timeout_s=60.0)
            print("node is up; replaying the bag at its recorded rate ...")
            images = 0

            def count_images(topic: str, _stamp_ns: int) -> None:
                nonlocal images
                images += topic == topics.color

            stats = play_bag(
                client.node, bag, topics=(topics.color, topics.color_info), on_message=count_images
            )
            try:
                seen = client.wait_for_status(
                    lambda s: int(s["frames_received"]) >= images, timeout_s=5.0
                )
            except NotReadyError:  # some best-effort frames were lost: report what arrived
                seen = client.status()
            reply = client.call("query", Query.Request(text="which cup is graspable?"))
        finally:
            client.close()
    print()
    print(f"published {images} images ({stats.messages} messages) in {stats.duration_s:.1f} s")
    print(
        f"node received {seen['frames_received']} images "
        f"({seen['last_size']}, {seen['last_encoding']}) at {seen['input_rate_hz']} Hz; "
        f"rejected {seen['frames_rejected']}; camera_info: {seen['camera_info_received']}"
    )
    print(f"query 'which cup is graspable?': success={reply.success}: {reply.message}")
    print(f"node log: {log_path}")
    return 0
