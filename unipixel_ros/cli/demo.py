"""`unipixel-ros demo` (the README's `make demo`): the whole system on a generated tabletop bag.

1. Picks the model: UniPixel-3B when its weights are in the local Hugging Face cache, else the
   offline UniPixel-nano checkpoint, else a tiny model with RANDOM weights, said plainly.
2. Generates the sample bag under ``out/demo/`` unless it is there already.
3. Runs the node on it: asks "Which cup is graspable?", clicks one graspable cup (AddObjects
   at the spec's click point), and later asks a question about that tracked object (Describe by
   its id, so its tracked masks are the model's memory).
4. Prints the answers and the scores, and writes the report (Markdown, JSON and a self-contained
   HTML), the overlay GIF, the track strips and the result bag to ``out/demo/``; with
   ``--figure PATH`` also the GIF's frame of the last answer as a PNG.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from unipixel_ros.cli.options import add_model_option, add_out_option, add_rate_option
from unipixel_ros.errors import ConfigError, UnipixelError
from unipixel_ros.evaluation.scoring.queries import Query, QueryKind, QuerySpec
from unipixel_ros.synthetic.scene_queries import GRASPABLE_CUP_QUESTION

if TYPE_CHECKING:
    from unipixel_ros.ros.evaluation.run_records import EvaluationConfig

__all__ = ["DEMO_SPEC_NAME", "add_parser", "demo_spec", "run_demo"]

DEFAULT_OUT = Path("out/demo")
DEMO_SPEC_NAME = "demo_queries.json"
# Asked about the clicked object, most telling first.
_QUESTION_PREFERENCE = ("colour_of_", "kind_of_", "handle_of_")
#: Scene seed of the generated bag: the first held-out seed (``unipixel_ros.nano.dataset.
#: EVAL_SEEDS``), a scene the nano checkpoint never saw in training.
DEMO_SEED = 900_000


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "demo",
        help="run the node on a generated tabletop bag: a question, a click, a follow-up",
    )
    parser.add_argument("--bag", type=Path, help="bag to replay (default: generate one)")
    add_out_option(parser, default=DEFAULT_OUT)
    parser.add_argument("--frames", type=int, default=30, help="frames in a generated bag")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help="scene seed of a generated bag")
    add_model_option(
        parser,
        help="'auto' (UniPixel-3B from the local cache, else the nano checkpoint, else "
        "tiny-random), a checkpoint directory, or 'tiny-random'",
    )
    add_rate_option(
        parser, default=0.0, help="replay speed factor; 0 (default) = as fast as the node takes it"
    )
    parser.add_argument(
        "--figure",
        type=Path,
        default=None,
        help="also save the overlay GIF's frame of the last answer as this PNG "
        "(the README's picture: --figure docs/figures/overlay.png)",
    )
    parser.set_defaults(run=run_demo)


def demo_spec(spec: QuerySpec) -> QuerySpec:
    """The demo's three steps as a query spec derived from a generated bag's spec.

    The graspable-cup question on its frame; a click on the first graspable cup on the frame
    of its suggested click; then a question about that cup (colour, else kind, else handle)
    half-way through the bag, asked by its tracked id.

    Raises:
        ConfigError: the spec has no graspable-cup question, or no click on its answer.
    """
    wanted = GRASPABLE_CUP_QUESTION.strip().lower()
    graspable = next(
        (
            q
            for q in spec.queries
            if q.kind is QueryKind.SEGMENT and (q.text or "").strip().lower() == wanted
        ),
        None,
    )
    if graspable is None or not graspable.expected_ids:
        raise ConfigError(
            f"the query spec has no segment query {GRASPABLE_CUP_QUESTION!r} with an answer; "
            "the demo needs a bag made by generate_sample_bag"
        )
    target = graspable.expected_ids[0]
    click = next((c for c in spec.clicks if c.object_id == target), None)
    if click is None:
        raise ConfigError(f"the query spec suggests no click on object {target}")
    click_query = Query(
        query_id=f"click_{target}",
        kind=QueryKind.TRACK,
        frame_index=click.frame_index,
        point_px=click.point_px,
        expected_ids=(target,),
    )
    queries: list[Query] = [graspable, click_query]
    about = [q for q in spec.queries if q.kind is QueryKind.CHOICE and q.region_id == target]
    for prefix in _QUESTION_PREFERENCE:
        question = next((q for q in about if q.query_id.startswith(prefix)), None)
        if question is not None:
            later = max(click.frame_index + 1, spec.frame_count // 2)
            if later < spec.frame_count:
                queries.append(dataclasses.replace(question, frame_index=later))
            break
    return dataclasses.replace(spec, queries=tuple(queries))


def run_demo(args: argparse.Namespace) -> int:
    # Never reach for the network: a model is used only when it is on this machine.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from unipixel_ros.cli.evaluation_run import evaluate_and_report
    from unipixel_ros.cli.model_choice import choose_model
    from unipixel_ros.evaluation.bags.layout import QUERIES_FILE_NAME
    from unipixel_ros.evaluation.scoring.queries import load_query_spec, save_query_spec
    from unipixel_ros.synthetic.sample_bag import generate_sample_bag

    choice = choose_model(args.model)
    print(f"model: {choice.description}")
    if choice.is_random:
        print(
            "NOTE: RANDOM weights. The demo shows the pipeline working end to end; its answers "
            "and scores are meaningless."
        )
    args.out.mkdir(parents=True, exist_ok=True)
    bag = args.bag
    if bag is None:
        bag = args.out / f"tabletop_seed{args.seed}_{args.frames}f"
        if not bag.exists():
            print(f"generating the sample bag {bag} ...")
            generate_sample_bag(bag, seed=args.seed, frames=args.frames)
    print(f"bag: {bag}")

    def make_config() -> EvaluationConfig:
        from unipixel_ros.ros.evaluation.run_records import EvaluationConfig

        spec = demo_spec(load_query_spec(bag / QUERIES_FILE_NAME))
        spec_path = save_query_spec(spec, args.out / DEMO_SPEC_NAME)
        return EvaluationConfig(
            bag=bag,
            out_dir=args.out,
            model_path=choice.model_path,
            queries=spec_path,
            rate=args.rate,
            describe_tracked=True,
        )

    code = evaluate_and_report(
        command="demo", make_config=make_config, failure=_failure, random=choice.is_random
    )
    if code == 0 and args.figure is not None:
        print(f"figure: {save_answer_figure(args.out, args.figure)}")
    return code


def save_answer_figure(out_dir: Path, figure: Path) -> Path:
    """Save the demo GIF's frame on which the last answer was computed (its caption shows from
    there on) as ``figure``, a PNG.

    Raises:
        UnipixelError: the demo's report, spec or GIF cannot be read.
    """
    import json

    from unipixel_ros.evaluation.reports.pictures import OVERLAY_GIF_NAME
    from unipixel_ros.evaluation.scoring.queries import load_query_spec
    from unipixel_ros.visualization.gif import gif_frame_count, save_gif_frame

    try:
        report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot read the demo's report in {out_dir}: {err}") from err
    answered = [
        r["frame_index"]
        for r in report.get("run", {}).get("requests", [])
        if r["success"] and r["answer"].strip() and r["frame_index"] is not None
    ]
    frame = answered[-1] if answered else 0
    frame_count = load_query_spec(out_dir / DEMO_SPEC_NAME).frame_count
    gif = out_dir / OVERLAY_GIF_NAME
    shown = gif_frame_count(gif)
    # A long bag's GIF shows every n-th frame: take the GIF frame nearest the answer's.
    return save_gif_frame(gif, min(shown - 1, round(frame * shown / frame_count)), figure)


def _failure(_err: UnipixelError) -> tuple[int, str]:
    """Every error of the demo's run exits with 2, its message as it is."""
    return 2, ""
