"""A small ray caster for tabletop scenes: analytic shapes, a z-buffer and Lambert shading.

Every pixel casts one ray. Each object intersects the rays in its own local frame (cup: open
cylinder with an arc of spheres as its handle; bowl: the lower half of an ellipsoid shell; box:
slabs); the nearest hit wins. Backgrounds are the table top, a floor and a wall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from unipixel_ros.errors import BadInputError
from unipixel_ros.synthetic.camera import PinholeCamera, RigidTransform
from unipixel_ros.synthetic.scene_objects import ObjectKind, SceneObject

__all__ = ["TABLE_HALF_EXTENT_M", "ObjectVisibility", "RenderedView", "render_view"]

# The table top spans [-x, x] by [-y, y] in the table frame, metres.
TABLE_HALF_EXTENT_M = (0.6, 0.4)
_FLOOR_Z_M = -0.75
_WALL_Y_M = 1.2
_LIGHT_DIRECTION = np.array([-0.35, -0.45, 0.82]) / np.linalg.norm([-0.35, -0.45, 0.82])
_AMBIENT = 0.38
# Inside a cup or bowl light falls off towards the bottom: shade = low + (1 - low) * height.
_CAVITY_LOW_SHADE = 0.45
_CUP_FLOOR_FRACTION = 0.06
_HANDLE_SPHERES = 15

# Surface parts, as stored per pixel.
_PART_OUTER = 0
_PART_INTERIOR = 1
_PART_HANDLE = 2


@dataclass(frozen=True, kw_only=True)
class ObjectVisibility:
    """How much of one object a view shows.

    Args:
        silhouette_px: Pixels the object would cover with no other object present.
        visible_px: Pixels where the object is the nearest surface.
        handle_silhouette_px: Pixels the handle would cover with nothing else present, the cup's
            own body included (0 for objects without a handle).
        handle_visible_px: Pixels where the handle is the nearest surface.
    """

    silhouette_px: int
    visible_px: int
    handle_silhouette_px: int
    handle_visible_px: int

    @property
    def occluded_fraction(self) -> float:
        """Share of the silhouette hidden by other objects (0 when the object is out of view)."""
        if self.silhouette_px == 0:
            return 0.0
        return 1.0 - self.visible_px / self.silhouette_px

    @property
    def handle_visible_fraction(self) -> float:
        """Share of the handle's silhouette that is visible (0 without a handle)."""
        if self.handle_silhouette_px == 0:
            return 0.0
        return self.handle_visible_px / self.handle_silhouette_px


@dataclass(frozen=True, kw_only=True, eq=False)
class RenderedView:
    """One rendered camera view.

    Args:
        rgb: `np.ndarray` of shape `(height, width, 3)`, uint8 sRGB.
        depth_m: `np.ndarray` of shape `(height, width)`, float32, metres along the optical z axis.
        instance_labels: `np.ndarray` of shape `(height, width)`, uint16, object id per pixel,
            0 for table and background.
        visibility: Per object id, what the view shows of it.
    """

    rgb: np.ndarray
    depth_m: np.ndarray
    instance_labels: np.ndarray
    visibility: dict[int, ObjectVisibility]


@dataclass(frozen=True, kw_only=True, eq=False)
class _Hits:
    """Ray hits of one object: ray indices, distances, local normals, parts and shading."""

    rays: np.ndarray
    t: np.ndarray
    normals: np.ndarray
    parts: np.ndarray
    shade: np.ndarray
    handle_rays: np.ndarray


def render_view(
    *,
    camera: PinholeCamera,
    camera_pose: RigidTransform,
    objects: tuple[SceneObject, ...],
    noise_rng: np.random.Generator | None = None,
    noise_sigma: float = 2.0,
) -> RenderedView:
    """Render the table and its objects from one camera pose.

    Args:
        camera: Intrinsics; sets the output size.
        camera_pose: The camera optical frame in the table frame.
        objects: Objects on the table, with distinct ids.
        noise_rng: Source of per-pixel sensor noise; None renders noise-free.
        noise_sigma: Standard deviation of the noise in 8-bit levels.

    Returns:
        The colour image, depth, instance labels and per-object visibility.
    """
    ids = [obj.object_id for obj in objects]
    if len(set(ids)) != len(ids):
        msg = f"object ids must be distinct, got {ids}"
        raise BadInputError(msg)
    rays_cam = camera.pixel_rays().reshape(-1, 3)
    directions = rays_cam @ camera_pose.rotation.T
    origin = camera_pose.translation

    depth, albedo, normals = _background(origin, directions)
    labels = np.zeros(depth.shape, dtype=np.uint16)
    parts = np.full(depth.shape, _PART_OUTER, dtype=np.int8)
    cavity_shade = np.ones(depth.shape)
    silhouettes: dict[int, tuple[int, int]] = {}
    for obj in objects:
        hits = _intersect_object(obj, origin, directions)
        silhouettes[obj.object_id] = (hits.rays.size, hits.handle_rays.size)
        nearer = hits.t < depth[hits.rays]
        rays = hits.rays[nearer]
        depth[rays] = hits.t[nearer]
        labels[rays] = obj.object_id
        parts[rays] = hits.parts[nearer]
        cavity_shade[rays] = hits.shade[nearer]
        normals[rays] = hits.normals[nearer] @ obj.pose.rotation.T
        albedo[rays] = np.asarray(obj.colour.rgb, dtype=np.float64) / 255.0

    # Normals face the viewer, so inner walls seen through an opening are lit like outer ones.
    facing = np.einsum("ij,ij->i", normals, directions) > 0.0
    normals[facing] *= -1.0
    shade = _AMBIENT + (1.0 - _AMBIENT) * np.clip(normals @ _LIGHT_DIRECTION, 0.0, 1.0)
    shade *= cavity_shade
    colour = 255.0 * albedo * shade[:, None]
    if noise_rng is not None:
        colour += noise_rng.normal(0.0, noise_sigma, size=colour.shape)
    shape = (camera.height, camera.width)
    rgb = np.clip(np.rint(colour), 0, 255).astype(np.uint8).reshape(*shape, 3)

    visibility = {}
    for obj in objects:
        mine = labels == obj.object_id
        silhouette_px, handle_silhouette_px = silhouettes[obj.object_id]
        visibility[obj.object_id] = ObjectVisibility(
            silhouette_px=silhouette_px,
            visible_px=int(np.count_nonzero(mine)),
            handle_silhouette_px=handle_silhouette_px,
            handle_visible_px=int(np.count_nonzero(mine & (parts == _PART_HANDLE))),
        )
    return RenderedView(
        rgb=rgb,
        depth_m=depth.astype(np.float32).reshape(shape),
        instance_labels=labels.reshape(shape),
        visibility=visibility,
    )


def _background(
    origin: np.ndarray, directions: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Depth, albedo (0..1) and normals of the table top, floor and wall for every ray."""
    count = directions.shape[0]
    depth = np.full(count, np.inf)
    albedo = np.zeros((count, 3))
    normals = np.zeros((count, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_plane = -origin[2] / directions[:, 2]
        t_floor = (_FLOOR_Z_M - origin[2]) / directions[:, 2]
        t_wall = (_WALL_Y_M - origin[1]) / directions[:, 1]

    wall = t_wall > 0.0
    depth[wall] = t_wall[wall]
    height = origin[2] + t_wall * directions[:, 2]
    albedo[wall] = np.array([0.80, 0.82, 0.85]) - 0.08 * np.clip(height[wall], 0.0, 1.0)[:, None]
    normals[wall] = (0.0, -1.0, 0.0)

    floor = (t_floor > 0.0) & (t_floor < depth)
    depth[floor] = t_floor[floor]
    albedo[floor] = (0.36, 0.36, 0.38)
    normals[floor] = (0.0, 0.0, 1.0)

    hit = origin[None, :] + t_plane[:, None] * directions
    half_x, half_y = TABLE_HALF_EXTENT_M
    table = (
        (t_plane > 0.0)
        & (t_plane < depth)
        & (np.abs(hit[:, 0]) <= half_x)
        & (np.abs(hit[:, 1]) <= half_y)
    )
    depth[table] = t_plane[table]
    # Wood: a warm brown with soft grain along x.
    grain = 0.5 + 0.5 * np.sin(hit[table, 1] * 90.0 + 3.0 * np.sin(hit[table, 0] * 7.0))
    albedo[table] = np.array([0.60, 0.44, 0.29]) * (0.88 + 0.12 * grain)[:, None]
    normals[table] = (0.0, 0.0, 1.0)
    return depth, albedo, normals


def _intersect_object(obj: SceneObject, origin: np.ndarray, directions: np.ndarray) -> _Hits:
    """Nearest hit of every ray with one object, in the object's local frame."""
    pose = obj.pose
    local_origin = pose.rotation.T @ (origin - pose.translation)
    local_dirs = directions @ pose.rotation
    centre, radius = _bounding_sphere(obj)
    candidates = np.flatnonzero(_hits_sphere(local_origin - centre, local_dirs, radius))
    dirs = local_dirs[candidates]
    if obj.kind is ObjectKind.CUP:
        t, normals, parts = _intersect_cup(obj, local_origin, dirs)
        rim_height = obj.size[1]
    elif obj.kind is ObjectKind.BOWL:
        t, normals, parts = _intersect_bowl(obj, local_origin, dirs)
        rim_height = obj.size[1]
    else:
        t, normals, parts = _intersect_box(obj, local_origin, dirs)
        rim_height = obj.size[2]
    hit = np.isfinite(t)
    height = local_origin[2] + np.where(hit, t, 0.0) * dirs[:, 2]
    cavity = _CAVITY_LOW_SHADE + (1.0 - _CAVITY_LOW_SHADE) * np.clip(height / rim_height, 0, 1)
    shade = np.where(parts == _PART_INTERIOR, cavity, 1.0)
    handle_rays = candidates[hit & (parts == _PART_HANDLE)]
    if obj.has_handle:
        # The handle's own silhouette counts pixels hidden behind the cup's body too.
        t_handle, _ = _intersect_handle(obj, local_origin, dirs)
        handle_rays = candidates[np.isfinite(t_handle)]
    return _Hits(
        rays=candidates[hit],
        t=t[hit],
        normals=normals[hit],
        parts=parts[hit],
        shade=shade[hit],
        handle_rays=handle_rays,
    )


def _bounding_sphere(obj: SceneObject) -> tuple[np.ndarray, float]:
    """A sphere in the local frame that contains the whole object."""
    if obj.kind is ObjectKind.BOX:
        height = obj.size[2]
        return np.array([0.0, 0.0, 0.5 * height]), 0.5 * float(np.linalg.norm(obj.size)) + 1e-3
    if obj.kind is ObjectKind.BOWL:
        rim, depth = obj.size
        return np.array([0.0, 0.0, depth]), float(np.hypot(rim, depth)) + 1e-3
    radius, height = obj.size
    reach = radius + 1.3 * obj.handle_radius
    return np.array([0.0, 0.0, 0.5 * height]), float(np.hypot(reach, 0.5 * height)) + 1e-3


def _hits_sphere(origin: np.ndarray, dirs: np.ndarray, radius: float) -> np.ndarray:
    """Whether each ray meets a sphere centred at the origin of its frame, in front of it."""
    a = np.einsum("ij,ij->i", dirs, dirs)
    b = dirs @ origin
    c = float(origin @ origin) - radius * radius
    disc = b * b - a * c
    return (disc >= 0.0) & ((-b + np.sqrt(np.maximum(disc, 0.0))) > 0.0)


def _intersect_cup(
    obj: SceneObject, origin: np.ndarray, dirs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Open cylinder of the cup's radius and height on z in [0, height], plus its handle.

    The inside floor sits a little above the base, as in a real cup; this also keeps it from
    z-fighting with the table top.
    """
    radius, height = obj.size
    floor = _CUP_FLOOR_FRACTION * height
    count = dirs.shape[0]
    t = np.full(count, np.inf)
    normals = np.zeros((count, 3))
    parts = np.full(count, _PART_OUTER, dtype=np.int8)

    a = dirs[:, 0] ** 2 + dirs[:, 1] ** 2
    b = 2.0 * (origin[0] * dirs[:, 0] + origin[1] * dirs[:, 1])
    c = origin[0] ** 2 + origin[1] ** 2 - radius**2
    disc = b * b - 4.0 * a * c
    valid = (disc >= 0.0) & (a > 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.sqrt(np.where(valid, disc, 0.0))
        t_in = np.where(valid, (-b - root) / (2.0 * a), np.inf)
        t_out = np.where(valid, (-b + root) / (2.0 * a), np.inf)
        t_floor = (floor - origin[2]) / dirs[:, 2]
    z_in = origin[2] + t_in * dirs[:, 2]
    z_out = origin[2] + t_out * dirs[:, 2]

    outer = valid & (t_in > 0.0) & (z_in >= 0.0) & (z_in <= height)
    _take(t, normals, parts, outer, t_in, _radial_normals(origin, dirs, t_in), _PART_OUTER)
    # A ray that enters the cylinder above the rim sees the inner wall or the floor.
    inner = valid & (t_out > 0.0) & (z_in > height) & (z_out >= floor) & (z_out <= height)
    _take(t, normals, parts, inner, t_out, _radial_normals(origin, dirs, t_out), _PART_INTERIOR)
    floor_point = origin[None, :] + t_floor[:, None] * dirs
    on_floor = (t_floor > 0.0) & (floor_point[:, 0] ** 2 + floor_point[:, 1] ** 2 <= radius**2)
    floor_normals = np.broadcast_to(np.array([0.0, 0.0, 1.0]), dirs.shape)
    _take(t, normals, parts, on_floor, t_floor, floor_normals, _PART_INTERIOR)

    if obj.has_handle:
        t_handle, handle_normals = _intersect_handle(obj, origin, dirs)
        _take(t, normals, parts, np.isfinite(t_handle), t_handle, handle_normals, _PART_HANDLE)
    return t, normals, parts


def _intersect_handle(
    obj: SceneObject, origin: np.ndarray, dirs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The handle as an arc of spheres outside the cup's wall; inf where a ray misses it."""
    radius = obj.size[0]
    arc = obj.handle_radius
    thickness = max(0.2 * arc, 0.004)
    t = np.full(dirs.shape[0], np.inf)
    normals = np.zeros(dirs.shape)
    a = np.einsum("ij,ij->i", dirs, dirs)
    for angle in np.linspace(0.0, np.pi, _HANDLE_SPHERES):
        centre = obj.handle_centre_local + arc * np.array([np.sin(angle), 0.0, np.cos(angle)])
        offset = origin - centre
        b = dirs @ offset
        c = float(offset @ offset) - thickness**2
        disc = b * b - a * c
        with np.errstate(invalid="ignore"):
            t_hit = (-b - np.sqrt(disc)) / a
        point = origin[None, :] + t_hit[:, None] * dirs
        # Parts of the spheres inside the cup's wall are not part of the handle.
        outside_wall = point[:, 0] ** 2 + point[:, 1] ** 2 >= radius**2
        nearer = (disc >= 0.0) & (t_hit > 0.0) & outside_wall & (t_hit < t)
        t[nearer] = t_hit[nearer]
        normals[nearer] = (point[nearer] - centre) / thickness
    return t, normals


def _intersect_bowl(
    obj: SceneObject, origin: np.ndarray, dirs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower half of an ellipsoid shell: rim radius R at z = depth, bottom touching z = 0."""
    rim, depth = obj.size
    count = dirs.shape[0]
    t = np.full(count, np.inf)
    normals = np.zeros((count, 3))
    parts = np.full(count, _PART_OUTER, dtype=np.int8)
    # Scale z so that the ellipsoid becomes a sphere of radius `rim` centred at the origin.
    scale = np.array([1.0, 1.0, rim / depth])
    o = (origin - np.array([0.0, 0.0, depth])) * scale
    d = dirs * scale
    a = np.einsum("ij,ij->i", d, d)
    b = d @ o
    c = float(o @ o) - rim**2
    disc = b * b - a * c
    valid = disc >= 0.0
    root = np.sqrt(np.where(valid, disc, 0.0))
    t_in = np.where(valid, (-b - root) / a, np.inf)
    t_out = np.where(valid, (-b + root) / a, np.inf)
    z_in = origin[2] + t_in * dirs[:, 2]
    z_out = origin[2] + t_out * dirs[:, 2]

    def ellipsoid_normals(t_hit: np.ndarray) -> np.ndarray:
        point = origin[None, :] + np.where(np.isfinite(t_hit), t_hit, 0.0)[:, None] * dirs
        gradient = (point - np.array([0.0, 0.0, depth])) / np.array([rim, rim, depth]) ** 2
        return gradient / np.maximum(np.linalg.norm(gradient, axis=1, keepdims=True), 1e-12)

    outer = valid & (t_in > 0.0) & (z_in <= depth)
    _take(t, normals, parts, outer, t_in, ellipsoid_normals(t_in), _PART_OUTER)
    inner = valid & (t_out > 0.0) & (z_in > depth) & (z_out <= depth)
    _take(t, normals, parts, inner, t_out, ellipsoid_normals(t_out), _PART_INTERIOR)
    return t, normals, parts


def _intersect_box(
    obj: SceneObject, origin: np.ndarray, dirs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Axis-aligned box of the object's size standing on z = 0 (slab method)."""
    length, width, height = obj.size
    low = np.array([-0.5 * length, -0.5 * width, 0.0])
    high = np.array([0.5 * length, 0.5 * width, height])
    with np.errstate(divide="ignore", invalid="ignore"):
        t_low = (low - origin) / dirs
        t_high = (high - origin) / dirs
    t_near = np.where(np.isnan(t_low), -np.inf, np.minimum(t_low, t_high))
    t_far = np.where(np.isnan(t_high), np.inf, np.maximum(t_low, t_high))
    entry = t_near.max(axis=1)
    exit_ = t_far.min(axis=1)
    hit = (entry <= exit_) & (entry > 0.0)
    axis = t_near.argmax(axis=1)
    normals = np.zeros(dirs.shape)
    normals[np.arange(dirs.shape[0]), axis] = -np.sign(dirs[np.arange(dirs.shape[0]), axis])
    t = np.where(hit, entry, np.inf)
    return t, normals, np.full(dirs.shape[0], _PART_OUTER, dtype=np.int8)


def _radial_normals(origin: np.ndarray, dirs: np.ndarray, t_hit: np.ndarray) -> np.ndarray:
    """Outward normals of a z-axis cylinder at the given ray distances."""
    point = origin[None, :] + np.where(np.isfinite(t_hit), t_hit, 0.0)[:, None] * dirs
    radial = point * np.array([1.0, 1.0, 0.0])
    return radial / np.maximum(np.linalg.norm(radial, axis=1, keepdims=True), 1e-12)


def _take(
    t: np.ndarray,
    normals: np.ndarray,
    parts: np.ndarray,
    mask: np.ndarray,
    t_hit: np.ndarray,
    hit_normals: np.ndarray,
    part: int,
) -> None:
    """Keep the hits in ``mask`` that are nearer than what ``t`` holds, in place."""
    nearer = mask & (t_hit < t)
    t[nearer] = t_hit[nearer]
    normals[nearer] = hit_normals[nearer]
    parts[nearer] = part
