"""How a synthetic scene is built: image size, camera motion, objects, occlusion, noise."""

from __future__ import annotations

from dataclasses import dataclass, field

from unipixel_ros.errors import ConfigError
from unipixel_ros.synthetic.graspability import GraspabilityRule

__all__ = ["SceneConfig"]


@dataclass(frozen=True, kw_only=True)
class SceneConfig:
    """How to build a scene.

    Args:
        width: Image width in pixels.
        height: Image height in pixels.
        fov_deg: Horizontal field of view, degrees.
        frame_count: Frames in the scene.
        frame_rate_hz: Frame rate; sets the header stamps.
        object_count: Objects on the table, >= 4 (always at least two cups, a bowl and a box).
        camera_distance_m: Distance from the camera to the middle of the table.
        camera_elevation_deg: Angle of the camera above the table plane.
        camera_sway_deg: Peak azimuth change over the scene (slight motion).
        camera_jitter_m: Peak smooth hand-held wobble of the camera position.
        noise_sigma: Pixel noise in 8-bit levels.
        occluded_pairs: Objects placed just behind another one, as seen from the camera.
        min_occluded_fraction: Each such pair must hide at least this share of the object
            behind on frame 0 (the layout is redrawn otherwise).
        require_graspable_cup: Re-draw the layout until at least one cup is graspable and at
            least one is not, so that the graspability question is informative.
        max_layout_attempts: Layouts to try before giving up with ConfigError.
        start_stamp_ns: Header stamp of the first frame.
        grasp_rule: The graspability rule.
    """

    width: int = 640
    height: int = 480
    fov_deg: float = 60.0
    frame_count: int = 30
    frame_rate_hz: float = 10.0
    object_count: int = 6
    camera_distance_m: float = 0.78
    camera_elevation_deg: float = 45.0
    camera_sway_deg: float = 4.0
    camera_jitter_m: float = 0.004
    noise_sigma: float = 2.0
    occluded_pairs: int = 1
    min_occluded_fraction: float = 0.1
    require_graspable_cup: bool = True
    max_layout_attempts: int = 200
    start_stamp_ns: int = 1_700_000_000_000_000_000
    grasp_rule: GraspabilityRule = field(default_factory=GraspabilityRule)

    def __post_init__(self) -> None:
        if self.width < 32 or self.height < 24:
            msg = f"image must be at least 32x24, got {self.width}x{self.height}"
            raise ConfigError(msg)
        if self.frame_count < 1 or self.frame_rate_hz <= 0.0:
            msg = (
                f"need frame_count >= 1 and frame_rate_hz > 0, got {self.frame_count} and "
                f"{self.frame_rate_hz}"
            )
            raise ConfigError(msg)
        if not 4 <= self.object_count <= 10:
            msg = f"object_count must be in [4, 10], got {self.object_count}"
            raise ConfigError(msg)
        if not 0 <= self.occluded_pairs <= self.object_count // 2:
            msg = (
                f"occluded_pairs must be in [0, {self.object_count // 2}], got "
                f"{self.occluded_pairs}"
            )
            raise ConfigError(msg)
        if not 0.0 <= self.min_occluded_fraction < 1.0:
            msg = f"min_occluded_fraction must be in [0, 1), got {self.min_occluded_fraction}"
            raise ConfigError(msg)
        if not 10.0 <= self.camera_elevation_deg <= 80.0:
            msg = f"camera_elevation_deg must be in [10, 80], got {self.camera_elevation_deg}"
            raise ConfigError(msg)

    @property
    def frame_period_ns(self) -> int:
        """Time between frames, nanoseconds."""
        return round(1e9 / self.frame_rate_hz)
