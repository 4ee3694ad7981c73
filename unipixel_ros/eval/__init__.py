"""Evaluation without ROS: synthetic scenes, rosbag2 writing and reading, metrics, reports."""

from __future__ import annotations

from unipixel_ros.eval.bag_layout import QUERIES_FILE_NAME, BagStorage, BagTopics
from unipixel_ros.eval.bag_reader import BagFrame, bag_topic_counts, read_bag_frames
from unipixel_ros.eval.bag_writer import (
    CameraBagWriter,
    WrittenBag,
    generate_sample_bag,
    write_scene_bag,
)
from unipixel_ros.eval.camera import OPTICAL_IN_CAMERA_LINK, PinholeCamera, RigidTransform
from unipixel_ros.eval.click_points import interior_point, interior_points
from unipixel_ros.eval.converters import convert_vos_video, list_vos_videos
from unipixel_ros.eval.graspability import GraspabilityRule, GraspAssessment
from unipixel_ros.eval.metrics import (
    LatencySummary,
    TrackScores,
    boundary_f_measure,
    chosen_option,
    cumulative_iou,
    generalized_iou,
    ids_correct,
    region_similarity,
    summarize_latency,
    track_scores,
)
from unipixel_ros.eval.overlay import label_image, overlay_instances, write_overlay_gif
from unipixel_ros.eval.queries import (
    ClickSuggestion,
    ObjectRecord,
    Query,
    QueryKind,
    QuerySpec,
    load_query_spec,
    save_query_spec,
)
from unipixel_ros.eval.renderer import ObjectVisibility, RenderedView, render_view
from unipixel_ros.eval.report import ReportFiles, report_json, write_report
from unipixel_ros.eval.scene_objects import Colour, ObjectKind, SceneObject
from unipixel_ros.eval.scenes import (
    GRASPABLE_CUP_QUESTION,
    OPTICAL_FRAME,
    REGION_PLACEHOLDER,
    TABLE_FRAME,
    Scene,
    SceneConfig,
    SceneFrame,
    generate_scene,
)
from unipixel_ros.eval.scoring import (
    EvaluationResult,
    QueryPrediction,
    QueryScore,
    evaluate_run,
    instances_covered,
)

__all__ = [
    "GRASPABLE_CUP_QUESTION",
    "OPTICAL_FRAME",
    "OPTICAL_IN_CAMERA_LINK",
    "QUERIES_FILE_NAME",
    "REGION_PLACEHOLDER",
    "TABLE_FRAME",
    "BagFrame",
    "BagStorage",
    "BagTopics",
    "CameraBagWriter",
    "ClickSuggestion",
    "Colour",
    "EvaluationResult",
    "GraspAssessment",
    "GraspabilityRule",
    "LatencySummary",
    "ObjectKind",
    "ObjectRecord",
    "ObjectVisibility",
    "PinholeCamera",
    "Query",
    "QueryKind",
    "QueryPrediction",
    "QueryScore",
    "QuerySpec",
    "RenderedView",
    "ReportFiles",
    "RigidTransform",
    "Scene",
    "SceneConfig",
    "SceneFrame",
    "SceneObject",
    "TrackScores",
    "WrittenBag",
    "bag_topic_counts",
    "boundary_f_measure",
    "chosen_option",
    "convert_vos_video",
    "cumulative_iou",
    "evaluate_run",
    "generalized_iou",
    "generate_sample_bag",
    "generate_scene",
    "ids_correct",
    "instances_covered",
    "interior_point",
    "interior_points",
    "label_image",
    "list_vos_videos",
    "load_query_spec",
    "overlay_instances",
    "read_bag_frames",
    "region_similarity",
    "render_view",
    "report_json",
    "save_query_spec",
    "summarize_latency",
    "track_scores",
    "write_overlay_gif",
    "write_report",
    "write_scene_bag",
]
