"""Seeded phone-photo degradations of a rendered e-KTP, each recorded with the parameters it used.

A photo is built in two stages. A `Layout` holds a scene and the pose of the subject in it (size,
rotation, tilt, cut-off), so the geometric degradations compose as numbers; `expose` then warps the
subject into the scene once and yields a `Shot`, whose pixel degradations (blur, glare, finger, fading,
light and noise, downscaling, JPEG) keep its subject-to-image homography up to date.

Coordinates are continuous: pixel (x, y) covers [x, x+1) x [y, y+1), the convention of
`RenderedCard.boxes`, so card corners are (0, 0) .. (1012, 638) and a resize scales them exactly.
All randomness comes from the `random.Random` passed in (and a NumPy generator seeded from it).
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, replace
from functools import cache
from typing import TypeVar

import cv2
import numpy as np
from PIL import Image

from synthetic_ktp.render import Box, RenderedCard
from synthetic_ktp.scenes import NEGATIVE_KINDS, SCENE_KINDS, negative_subject, scene

PRESETS: tuple[str, ...] = ("clean", "camera", "harsh", "negative")
QUALITY_VERDICTS: tuple[str, ...] = (
    "OK", "GLARE_DETECTED", "BLUR_DETECTED", "OBSTRUCTION_DETECTED", "KTP_NOT_DETECTED", "LOW_RESOLUTION",
)  # fmt: skip
HARSH_VERDICTS = QUALITY_VERDICTS[1:]

FRAME = (1280, 960)  # 4:3 like a phone's main camera; a 16:9 frame cannot hold a 90%-wide tilted card
FRAME_MARGIN = 0.02  # a camera-preset card keeps this fraction of the frame clear on every side
CAMERA_DISTANCE = 1.0  # lens to card in card widths: a phone with a ~65 degree lens filling its frame
ID1_CORNER_RADIUS = 3.18 / 85.6  # ISO/IEC 7810 ID-1 corner radius over card width
SHADOW_OFFSET, SHADOW_BLUR, SHADOW_OPACITY = (6.0, 9.0), 6.0, 0.35  # contact shadow of the card, frame px
SHADOW_SCALE = 8  # the shadow is blurred at 1/8 of the frame: it has no detail finer than that

GLARE_SPREAD = 0.6  # Gaussian width of a highlight in units of its saturated core's radius
GLARE_PEAK = 255 * math.exp(1 / (2 * GLARE_SPREAD**2))  # adds exactly 255 on the core's rim
GLARE_REACH = GLARE_SPREAD * math.sqrt(2 * math.log(GLARE_PEAK))  # where it adds less than one level
GLARE_MAX_ASPECT = 3.0  # a reflection is a blob or a short streak, never a hairline
GLARE_TINT = np.array([1.0, 0.99, 0.96], np.float32)  # a warm lamp
DECISIVE_GLARE_SIZE = (220, 60)  # card px a harsh glare covers at least, about a third of the NIK row
TEXT_CLEARANCE = 8  # card px between an "OK" glare's reach and any printed text

SKIN_TONES = ((232, 190, 160), (224, 172, 138), (198, 140, 104), (160, 106, 74), (120, 80, 56))
NAIL_TINT = np.array([250, 215, 205], np.float32)
TARGET_FIELDS = ("name", "region", "dateOfBirth", "address", "religion", "occupation", "issuePlace")
GRAIN_UPSCALE_STD = 0.625  # a 2x bilinear upscale mixes 3:1 per axis: keeps 0.75² + 0.25² of the std
FADE_LEVEL = 235  # the pale blue-white a faded card tends to


@dataclass(frozen=True)
class Photo:
    """The final image and its ground truth: where the card is, what was done to it, the verdict due."""

    image: Image.Image  # RGB, final pixels (already JPEG-round-tripped when a jpeg degradation applies)
    corners: list[list[float]] | None  # card corners TL, TR, BR, BL in image px; None when there is no card
    degradations: dict[str, dict]  # kind -> its parameters, JSON-serialisable, in the order applied
    expected_quality: str  # one of QUALITY_VERDICTS
    jpeg_file: bytes | None = None  # the JPEG as the camera stored it, when that was the last step


@dataclass(frozen=True)
class Pose:
    """How the subject sits in the frame; its homography is derived from this in one place."""

    width_fraction: float = 0.8  # mean of the top and bottom edge lengths over the frame width
    offset: tuple[float, float] = (0.5, 0.5)  # where the bounding box sits in the frame's free space, 0..1
    roll: float = 0.0  # in-plane rotation, degrees, clockwise on screen
    tilt: float = 0.0  # out-of-plane tilt, degrees
    tilt_direction: float = 0.0  # degrees: the axis, in the card plane, that the tilt turns about
    visible: float = 1.0  # fraction of the subject's area left inside the frame
    exit_direction: float = 0.0  # degrees: the way the subject slides out of the frame when visible < 1

    def quad(self, size: tuple[int, int], frame: tuple[int, int]) -> np.ndarray:
        """The subject's corners TL, TR, BR, BL in frame px: projected, sized, placed, then slid out."""
        width, height = size
        flat = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]]) * [width / 2, height / 2, 0]
        direction = math.radians(self.tilt_direction)
        tilt_axis = np.array([math.cos(direction), math.sin(direction), 0.0]) * math.radians(self.tilt)
        rotation = cv2.Rodrigues(tilt_axis)[0] @ cv2.Rodrigues(np.array([0, 0, math.radians(self.roll)]))[0]
        points = flat @ rotation.T + [0, 0, CAMERA_DISTANCE * width]
        quad = points[:, :2] / points[:, 2:]
        quad *= self.width_fraction * frame[0] / _edge_width(quad)
        room = np.array(frame) * (1 - 2 * FRAME_MARGIN)
        quad *= min(1.0, *(room / np.ptp(quad, axis=0)))
        free = room - np.ptp(quad, axis=0)
        quad += np.array(frame) * FRAME_MARGIN + np.array(self.offset) * free - quad.min(axis=0)
        if self.visible < 1:
            exit_angle = math.radians(self.exit_direction)
            way = np.array([math.cos(exit_angle), math.sin(exit_angle)])
            quad += way * _exit_distance(quad, frame, self.visible, way)
        return quad


@dataclass(frozen=True)
class Layout:
    """A scene and the pose of the subject in it, before any pixel is drawn."""

    scene: np.ndarray  # HxWx3 uint8 background, the size of the frame
    subject: Image.Image  # the flat object being photographed
    card: RenderedCard | None  # the subject when it is a real card: its boxes locate the fields
    pose: Pose
    corner_radius: float  # over the subject's width
    degradations: dict[str, dict]

    @property
    def homography(self) -> np.ndarray:
        """Subject px -> frame px."""
        frame = (self.scene.shape[1], self.scene.shape[0])
        return _rectangle_to(self.subject.size, self.pose.quad(self.subject.size, frame))


@dataclass(frozen=True)
class Shot:
    """A frame being degraded, and where the card is in it."""

    image: np.ndarray  # HxWx3 uint8 RGB
    card: RenderedCard | None
    homography: np.ndarray | None  # subject px -> image px; None when nothing was placed
    degradations: dict[str, dict]
    jpeg_file: bytes | None = None  # set by `jpeg`, dropped by any later change to the pixels


def _rectangle_to(size: tuple[int, int], quad: np.ndarray) -> np.ndarray:
    return cv2.getPerspectiveTransform(_corners(size).astype(np.float32), quad.astype(np.float32))


def _corners(size: tuple[int, int]) -> np.ndarray:
    width, height = size
    return np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)


def _edge_width(quad: np.ndarray) -> float:
    """The mean length of the top and bottom edges: the card width a reader would measure."""
    return float(np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2


def _exit_distance(quad: np.ndarray, frame: tuple[int, int], visible: float, way: np.ndarray) -> float:
    """How far to slide `quad` along `way` to leave `visible` of its area inside the frame (bisection)."""
    frame_quad = _corners(frame).astype(np.float32)
    area = cv2.contourArea(quad.astype(np.float32))
    low, high = 0.0, float(sum(frame) + np.ptp(quad, axis=0).sum())
    for _ in range(40):
        middle = (low + high) / 2
        inside, _ = cv2.intersectConvexConvex((quad + way * middle).astype(np.float32), frame_quad)
        low, high = (middle, high) if inside / area > visible else (low, middle)
    return high


def _project(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    column = np.asarray(points, np.float64).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(column, homography).reshape(-1, 2)


def _jacobian(homography: np.ndarray, point: np.ndarray) -> np.ndarray:
    """The local linear map of `homography` at `point`: how a small card vector looks in the image."""
    x, y = point
    u, v, w = homography @ [x, y, 1.0]
    return (homography[:2, :2] * w - np.outer([u, v], homography[2, :2])) / w**2


def _cv_matrix(homography: np.ndarray) -> np.ndarray:
    """The same map for OpenCV, whose pixel (x, y) is the point (x, y) rather than the square around it."""
    half = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    return np.linalg.inv(half) @ homography @ half


State = TypeVar("State", Layout, Shot)


def _record(state: State, kind: str, params: dict, **changes: object) -> State:
    """`state` with `changes` applied and the degradation appended to its record."""
    if isinstance(state, Shot):
        changes.setdefault("jpeg_file", None)
    return replace(state, degradations={**state.degradations, kind: params}, **changes)


def _pose(layout: Layout, kind: str, params: dict, **fields: float) -> Layout:
    """`layout` with its pose moved, recorded as one geometric degradation."""
    return _record(layout, kind, params, pose=replace(layout.pose, **fields))


def place_in_scene(
    subject: RenderedCard | Image.Image, scene_kind: str, gen: np.random.Generator, *,
    width_fraction: float = 0.8, offset: tuple[float, float] = (0.5, 0.5), frame: tuple[int, int] = FRAME,
    corner_radius: float = ID1_CORNER_RADIUS,
) -> Layout:  # fmt: skip
    """Lay the subject on a procedural scene, facing the camera; `rotate`, `tilt`, `cut_off` then move it."""
    card = subject if isinstance(subject, RenderedCard) else None
    image = subject.image if isinstance(subject, RenderedCard) else subject
    params = {
        "scene": scene_kind,
        "frame": list(frame),
        "width_fraction": width_fraction,
        "offset": list(offset),
    }
    pose = Pose(width_fraction=width_fraction, offset=offset)
    return Layout(scene(scene_kind, frame, gen), image, card, pose, corner_radius, {"place_in_scene": params})


def rotate(layout: Layout, degrees: float) -> Layout:
    """Turn the card in its own plane (clockwise on screen), as when it lies askew on the table."""
    return _pose(layout, "rotate", {"degrees": degrees}, roll=degrees)


def tilt(layout: Layout, degrees: float, direction: float) -> Layout:
    """Tip the card out of plane about an in-plane axis at `direction` degrees: perspective keystone."""
    params = {"degrees": degrees, "direction": direction}
    return _pose(layout, "tilt", params, tilt=degrees, tilt_direction=direction)


def cut_off(layout: Layout, visible: float, direction: float) -> Layout:
    """Slide the card out of the frame towards `direction` degrees until only `visible` of it remains."""
    params = {"visible": visible, "direction": direction}
    return _pose(layout, "cut_off", params, visible=visible, exit_direction=direction)


@cache
def _corner_weights(size: tuple[int, int], radius: int) -> np.ndarray:
    """(a, a, a, 255) per pixel, `a` the subject's coverage: opaque with anti-aliased rounded corners."""
    scale = 4
    alpha = np.zeros((size[1] * scale, size[0] * scale), np.uint8)
    inner = radius * scale
    cv2.rectangle(alpha, (inner, 0), (size[0] * scale - inner - 1, size[1] * scale - 1), 255, -1)
    cv2.rectangle(alpha, (0, inner), (size[0] * scale - 1, size[1] * scale - inner - 1), 255, -1)
    for x in (inner, size[0] * scale - inner):
        for y in (inner, size[1] * scale - inner):
            cv2.circle(alpha, (x, y), inner, 255, -1)
    weights = cv2.cvtColor(cv2.resize(alpha, size, interpolation=cv2.INTER_AREA), cv2.COLOR_GRAY2RGBA)
    weights.flags.writeable = False
    return weights


def expose(layout: Layout) -> Shot:
    """Warp the subject into its scene once, with rounded corners and a soft contact shadow under it.

    The subject is warped premultiplied by its coverage, so its edges blend into the scene anti-aliased.
    """
    homography = layout.homography
    frame = (layout.scene.shape[1], layout.scene.shape[0])
    weights = _corner_weights(layout.subject.size, round(layout.corner_radius * layout.subject.size[0]))
    subject = cv2.cvtColor(np.asarray(layout.subject), cv2.COLOR_RGB2RGBA)
    subject[..., 3] = weights[..., 0]
    cv2.multiply(subject, weights, dst=subject, scale=1 / 255)
    warped = cv2.warpPerspective(subject, _cv_matrix(homography), frame, flags=cv2.INTER_LINEAR)
    image = cv2.cvtColor(warped, cv2.COLOR_RGBA2RGB)
    keep = cv2.bitwise_not(cv2.extractChannel(warped, 3))
    cv2.multiply(keep, _shadow(weights[..., 0], homography, frame), dst=keep, scale=1 / 255)
    behind = cv2.cvtColor(keep, cv2.COLOR_GRAY2RGB)
    cv2.multiply(layout.scene, behind, dst=behind, scale=1 / 255)
    return Shot(cv2.add(image, behind, dst=image), layout.card, homography, layout.degradations)


def _shadow(alpha: np.ndarray, homography: np.ndarray, frame: tuple[int, int]) -> np.ndarray:
    """How much light the scene keeps (255 = all) around the card, which sits a little above the table."""
    shrink = np.diag([1 / SHADOW_SCALE, 1 / SHADOW_SCALE, 1.0])
    shift = np.array([[1, 0, SHADOW_OFFSET[0]], [0, 1, SHADOW_OFFSET[1]], [0, 0, 1]])
    small = (frame[0] // SHADOW_SCALE + 1, frame[1] // SHADOW_SCALE + 1)
    cast = cv2.warpPerspective(alpha, _cv_matrix(shrink @ shift @ homography), small, flags=cv2.INTER_LINEAR)
    cast = cv2.GaussianBlur(cast, (0, 0), SHADOW_BLUR / SHADOW_SCALE)
    return cv2.resize(255 - (cast * SHADOW_OPACITY).astype(np.uint8), frame, interpolation=cv2.INTER_LINEAR)


def flat(card: RenderedCard) -> Shot:
    """The card as a flat scan: its own pixels, corners on the image corners."""
    return Shot(np.asarray(card.image), card, np.eye(3), {})


def field_box(card: RenderedCard, field: str) -> Box:
    """The box around every printed line of `field` (a ktpData key such as "nik")."""
    if field not in card.boxes:
        raise ValueError(f"no printed field {field!r}; printed: {', '.join(card.boxes)}")
    boxes = np.array(card.boxes[field])
    return (int(boxes[:, 0].min()), int(boxes[:, 1].min()), int(boxes[:, 2].max()), int(boxes[:, 3].max()))


def _target(shot: Shot, target: str | Box) -> tuple[Box, dict]:
    """A field name or a card-pixel box, resolved to the box and how to record it."""
    if shot.card is None or shot.homography is None:
        raise ValueError("a field-targeted degradation needs a shot with a card in it")
    if isinstance(target, str):
        box = field_box(shot.card, target)
        return box, {"field": target, "box": list(box)}
    return target, {"box": list(target)}


@dataclass(frozen=True)
class Ellipse:
    """An ellipse in image px: the saturated core of a glare."""

    centre: tuple[float, float]
    axes: tuple[float, float]  # semi-axes
    angle: float  # degrees of the first axis from the image x axis

    def normalised(self, points: np.ndarray) -> np.ndarray:
        """`points` in the frame where this ellipse is the unit circle."""
        angle = math.radians(self.angle)
        unrotate = np.array([[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]])
        return (np.asarray(points) - self.centre) @ unrotate.T / self.axes


def glare_ellipse(shot: Shot, box: Box) -> Ellipse:
    """The image-px core of a highlight over card `box`: the smallest not-too-thin ellipse containing it."""
    width, height = box[2] - box[0], box[3] - box[1]
    long_side, short_side = max(width, height), min(width, height)
    if long_side <= GLARE_MAX_ASPECT * short_side:
        semi = (width / math.sqrt(2), height / math.sqrt(2))
    else:
        major = math.hypot(long_side, GLARE_MAX_ASPECT * short_side) / 2
        semi = (major, major / GLARE_MAX_ASPECT) if width >= height else (major / GLARE_MAX_ASPECT, major)
    centre = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
    spread = _jacobian(shot.homography, centre) @ np.diag(semi)
    turn, axes, _ = np.linalg.svd(spread)
    image_centre = _project(shot.homography, centre)[0]
    return Ellipse(
        (round(float(image_centre[0]), 2), round(float(image_centre[1]), 2)),
        (round(float(axes[0]), 2), round(float(axes[1]), 2)),
        round(math.degrees(math.atan2(turn[1, 0], turn[0, 0])), 2),
    )


def glare(shot: Shot, target: str | Box, min_size: tuple[int, int] = (0, 0)) -> Shot:
    """A specular highlight whose saturated core covers `target` (a field name or a card-pixel box).

    The covered box is first grown about its centre to at least `min_size` card px, so that a short
    value still disappears under a lamp-sized highlight rather than a pin-prick.
    """
    box, params = _target(shot, target)
    if min_size != (0, 0):
        params["min_size"] = list(min_size)
    core = glare_ellipse(shot, _grown(box, min_size))
    params |= {
        "centre": list(core.centre),
        "axes": list(core.axes),
        "angle": core.angle,
        "peak": round(GLARE_PEAK),
    }
    return _record(shot, "glare", params, image=_highlight(shot.image, core))


def _highlight(image: np.ndarray, core: Ellipse) -> np.ndarray:
    """Add a Gaussian of light that saturates inside `core` and fades out by GLARE_REACH core radii."""
    angle = math.radians(core.angle)
    (a, b), (cx, cy) = core.axes, core.centre
    half_x = GLARE_REACH * math.hypot(a * math.cos(angle), b * math.sin(angle))
    half_y = GLARE_REACH * math.hypot(a * math.sin(angle), b * math.cos(angle))
    x0, x1 = max(0, math.floor(cx - half_x)), min(image.shape[1], math.ceil(cx + half_x))
    y0, y1 = max(0, math.floor(cy - half_y)), min(image.shape[0], math.ceil(cy + half_y))
    if x0 >= x1 or y0 >= y1:
        return image
    dx = np.arange(x0, x1, dtype=np.float32) + 0.5 - cx
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - cy
    u = (dx * math.cos(angle) + dy * math.sin(angle)) / a
    v = (dy * math.cos(angle) - dx * math.sin(angle)) / b
    light = GLARE_PEAK * np.exp(-(u * u + v * v) / (2 * GLARE_SPREAD**2))
    out = image.copy()
    region = out[y0:y1, x0:x1].astype(np.float32) + light[..., None] * GLARE_TINT
    out[y0:y1, x0:x1] = region.clip(0, 255).astype(np.uint8)
    return out


def _grown(box: Box, min_size: tuple[int, int]) -> Box:
    """`box` widened and heightened about its centre to at least `min_size`."""
    x0, y0, x1, y1 = box
    grow_x, grow_y = max(0, min_size[0] - (x1 - x0)), max(0, min_size[1] - (y1 - y0))
    return (x0 - grow_x // 2, y0 - grow_y // 2, x1 + grow_x - grow_x // 2, y1 + grow_y - grow_y // 2)


def glare_reaches_text(shot: Shot, core: Ellipse) -> bool:
    """Whether a highlight with this core comes within TEXT_CLEARANCE card px of any printed text."""
    for x0, y0, x1, y1 in text_boxes(shot.card):
        grown = (x0 - TEXT_CLEARANCE, y0 - TEXT_CLEARANCE, x1 + TEXT_CLEARANCE, y1 + TEXT_CLEARANCE)
        outline = core.normalised(_project(shot.homography, _box_corners(grown))).astype(np.float32)
        if cv2.pointPolygonTest(outline, (0.0, 0.0), measureDist=True) >= -GLARE_REACH:
            return True
    return False


def text_boxes(card: RenderedCard) -> list[Box]:
    """Every printed value line and every label: what glare must not touch for a photo to stay readable."""
    return [box for boxes in card.boxes.values() for box in boxes] + list(card.label_boxes.values())


def _box_corners(box: Box | tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


def occlude(
    shot: Shot, target: str | Box, skin: tuple[int, int, int], *, width: float = 210.0, coverage: float = 0.9,
    direction: float | None = None,
) -> Shot:  # fmt: skip
    """A thumb `width` card px wide reaching over `target` until its tip passes `coverage` of the box.

    `direction` is the way the thumb points, in card degrees; by default it comes in from the nearer
    side edge of the card, as a hand holding the card does.
    """
    box, params = _target(shot, target)
    centre = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
    if direction is None:
        direction = 0.0 if centre[0] < shot.card.image.size[0] / 2 else 180.0
    way = np.array([math.cos(math.radians(direction)), math.sin(math.radians(direction))])
    reach = _box_corners(box) @ way
    tip = centre + way * (reach.min() + coverage * (reach.max() - reach.min()) - centre @ way)
    local = _jacobian(shot.homography, tip)
    image_way = local @ way / np.linalg.norm(local @ way)
    radius = width / 2 * math.sqrt(abs(np.linalg.det(local)))
    image_tip = _project(shot.homography, tip)[0]
    thumb = Thumb(image_tip - image_way * radius, image_way, radius, np.array(skin, np.float32))
    params |= {
        "skin": list(skin), "width": width, "coverage": coverage, "direction": direction,
        "tip": [round(float(c), 2) for c in image_tip], "radius": round(radius, 2),
    }  # fmt: skip
    return _record(shot, "occlude", params, image=thumb.draw(shot.image))


@dataclass(frozen=True)
class Thumb:
    """A capsule-shaped thumb in image px: round tip centred at `tip`, running back along -`way`."""

    tip: np.ndarray  # centre of the rounded tip
    way: np.ndarray  # unit vector the thumb points along
    radius: float
    skin: np.ndarray

    def distance(self, dx: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(distance from the thumb, signed distance back from the tip centre) for offsets from the tip."""
        back = -(dx * self.way[0] + dy * self.way[1])
        behind = np.maximum(back, 0)
        return np.hypot(dx + behind * self.way[0], dy + behind * self.way[1]), back

    def draw(self, image: np.ndarray) -> np.ndarray:
        """Shade the thumb as a cylinder with a nail near its tip, over a soft shadow it casts on the card."""
        height, width = image.shape[:2]
        length = math.hypot(width, height) * 2
        ends = np.array([self.tip, self.tip - self.way * length])
        pad = self.radius * 1.5
        x0, y0 = np.maximum(np.floor(ends.min(0) - pad), 0).astype(int)
        x1, y1 = np.minimum(np.ceil(ends.max(0) + pad), [width, height]).astype(int)
        if x0 >= x1 or y0 >= y1:
            return image
        dx = np.arange(x0, x1, dtype=np.float32) + 0.5 - self.tip[0]
        dy = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - self.tip[1]
        offset = self.radius * np.array([0.2, 0.3])
        shadow_gap, _ = self.distance(dx - offset[0], dy - offset[1])
        shadow = 0.4 * np.clip((self.radius - shadow_gap) / (0.5 * self.radius) + 0.5, 0, 1)
        gap, back = self.distance(dx, dy)
        softness = max(1.5, 0.04 * self.radius)
        cover = np.clip((self.radius - gap) / softness + 0.5, 0, 1)
        roundness = np.sqrt(np.clip(1 - (gap / self.radius) ** 2, 0, 1))
        colour = self.skin * (0.68 + 0.32 * roundness)[..., None]
        nail_across = gap / (0.5 * self.radius)
        nail_along = (back - 0.35 * self.radius) / (0.75 * self.radius)
        nail = 0.4 * np.clip((1 - np.hypot(nail_across, nail_along)) * 5, 0, 1)[..., None]
        colour = colour * (1 - nail) + NAIL_TINT * (0.6 + 0.4 * roundness)[..., None] * nail
        region = image[y0:y1, x0:x1].astype(np.float32) * (1 - shadow)[..., None]
        out = image.copy()
        out[y0:y1, x0:x1] = (region + (colour - region) * cover[..., None]).clip(0, 255).astype(np.uint8)
        return out


def defocus(shot: Shot, sigma: float) -> Shot:
    """Out-of-focus blur: a Gaussian of `sigma` image px."""
    return _record(shot, "defocus", {"sigma": sigma}, image=cv2.GaussianBlur(shot.image, (0, 0), sigma))


def motion_blur(shot: Shot, length: float, angle: float) -> Shot:
    """Camera shake: a straight smear `length` image px long at `angle` degrees."""
    size = 2 * math.ceil(length / 2) + 1
    kernel = np.zeros((size, size), np.uint8)
    reach = (length - 1) / 2 * np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])
    ends = [tuple(int(c) for c in np.round((size // 2 + sign * reach) * 16)) for sign in (-1, 1)]
    cv2.line(kernel, ends[0], ends[1], 255, 1, cv2.LINE_AA, shift=4)
    kernel = kernel.astype(np.float32) / kernel.sum()
    params = {"length": length, "angle": angle}
    return _record(shot, "motion_blur", params, image=cv2.filter2D(shot.image, -1, kernel))


def fade(shot: Shot, amount: float) -> Shot:
    """A worn print or hazy lens: every pixel moved `amount` of the way to a pale level, so ink turns grey."""
    image = cv2.convertScaleAbs(shot.image, alpha=1 - amount, beta=amount * FADE_LEVEL)
    return _record(shot, "fade", {"amount": amount}, image=image)


def low_light(
    shot: Shot, gen: np.random.Generator, *, exposure: float, gradient: float, angle: float, noise: float,
) -> Shot:  # fmt: skip
    """Under-exposure with uneven light and sensor grain.

    Brightness is scaled by `exposure`, falling by a further `gradient` fraction across the frame
    towards `angle` degrees; then grain of `noise` levels standard deviation is added. The grain is drawn
    uniform at half resolution and upscaled bilinearly, which makes it near-Gaussian and gives it the
    slightly blotchy look of a phone's denoised sensor.
    """
    height, width = shot.image.shape[:2]
    cell = 8
    small = (width // cell, height // cell)
    xs = (np.arange(small[0]) + 0.5) * (width / small[0]) - width / 2
    ys = (np.arange(small[1]) + 0.5) * (height / small[1]) - height / 2
    along, across = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    ramp = np.add.outer(ys * across, xs * along) / (abs(width * along) + abs(height * across)) + 0.5
    gain = (255 * exposure * (1 - gradient * ramp)).clip(0, 255).astype(np.uint8)
    gain = cv2.resize(gain, (width, height), interpolation=cv2.INTER_LINEAR)
    image = cv2.cvtColor(gain, cv2.COLOR_GRAY2RGB)
    cv2.multiply(shot.image, image, dst=image, scale=1 / 255)
    spread = noise * math.sqrt(3) / GRAIN_UPSCALE_STD  # the half-width of a uniform draw with that deviation
    grain = cv2.convertScaleAbs(
        gen.integers(0, 256, (height // 2 + 1, width // 2 + 1), dtype=np.uint8), alpha=spread / 127.5,
        beta=128 - spread,
    )  # fmt: skip
    grain = cv2.resize(grain, (grain.shape[1] * 2, grain.shape[0] * 2), interpolation=cv2.INTER_LINEAR)
    grain = cv2.cvtColor(grain[:height, :width], cv2.COLOR_GRAY2RGB)
    cv2.addWeighted(image, 1.0, grain, 1.0, -128.0, dst=image)
    params = {"exposure": exposure, "gradient": gradient, "angle": angle, "noise": noise}
    return _record(shot, "low_light", params, image=image)


def downscale(shot: Shot, factor: float) -> Shot:
    """The whole frame resampled to `factor` of its size, as from a low-resolution camera."""
    height, width = shot.image.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    image = cv2.resize(shot.image, size, interpolation=cv2.INTER_AREA)
    scale = np.diag([size[0] / width, size[1] / height, 1.0])
    homography = None if shot.homography is None else scale @ shot.homography
    params = {"factor": factor, "size": list(size)}
    return _record(shot, "downscale", params, image=image, homography=homography)


def jpeg(shot: Shot, quality: int) -> Shot:
    """A JPEG encode/decode round trip at `quality`, the way a phone stores the photo."""
    buffer = io.BytesIO()
    Image.fromarray(shot.image).save(buffer, "JPEG", quality=quality, optimize=False)
    image = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    return _record(shot, "jpeg", {"quality": quality}, image=image, jpeg_file=buffer.getvalue())


def to_photo(shot: Shot, expected_quality: str) -> Photo:
    """Freeze a shot into a Photo; corners are given only when the subject is a KTP card."""
    if expected_quality not in QUALITY_VERDICTS:
        known = ", ".join(QUALITY_VERDICTS)
        raise ValueError(f"unknown quality verdict {expected_quality!r}; known: {known}")
    corners = None
    if shot.card is not None and shot.homography is not None:
        projected = _project(shot.homography, _corners(shot.card.image.size))
        corners = [[round(float(x), 2), round(float(y), 2)] for x, y in projected]
    return Photo(Image.fromarray(shot.image), corners, shot.degradations, expected_quality, shot.jpeg_file)


def card_width(shot: Shot) -> float:
    """The card's width in image px, as the mean of its top and bottom edges."""
    return _edge_width(_project(shot.homography, _corners(shot.card.image.size)))


def _uniform(rng: random.Random, low: float, high: float, digits: int = 2) -> float:
    """A draw rounded before use, so the recorded parameter is exactly the one applied."""
    return round(rng.uniform(low, high), digits)


def _generator(rng: random.Random) -> np.random.Generator:
    return np.random.default_rng(rng.getrandbits(64))


def _camera_layout(
    subject: RenderedCard | Image.Image, rng: random.Random, gen: np.random.Generator, corner_radius: float
) -> Layout:
    """A hand-held framing: card 76-90% of the frame wide, turned up to 10 degrees, tipped up to 8."""
    offset = (_uniform(rng, 0, 1), _uniform(rng, 0, 1))
    layout = place_in_scene(
        subject, rng.choice(SCENE_KINDS), gen, width_fraction=_uniform(rng, 0.76, 0.9, 3), offset=offset,
        corner_radius=corner_radius,
    )  # fmt: skip
    layout = rotate(layout, _uniform(rng, -10, 10))
    return tilt(layout, _uniform(rng, 0, 8), _uniform(rng, 0, 360, 1))


def _blur(shot: Shot, rng: random.Random, strong: bool) -> Shot:
    """Mild focus or shake blur that OCR survives, or a strong one a quality check must reject."""
    angle = _uniform(rng, 0, 180, 1)
    if rng.random() < 0.7:
        return defocus(shot, _uniform(rng, 4.0, 7.0) if strong else _uniform(rng, 0.3, 1.0))
    return motion_blur(shot, _uniform(rng, 25, 45, 1) if strong else _uniform(rng, 2, 4.5, 1), angle)


def _light(shot: Shot, rng: random.Random, gen: np.random.Generator, dark: bool) -> Shot:
    """Room light: a gentle exposure drop and gradient with faint grain, or a frame too dark to see into."""
    angle = _uniform(rng, 0, 360, 1)
    if dark:
        exposure = _uniform(rng, 0.03, 0.06, 3)
        return low_light(shot, gen, exposure=exposure, gradient=0.0, angle=angle, noise=3.0)
    exposure, gradient, noise = _uniform(rng, 0.8, 1.0), _uniform(rng, 0, 0.3), _uniform(rng, 1, 4)
    return low_light(shot, gen, exposure=exposure, gradient=gradient, angle=angle, noise=noise)


def _harmless_glare(shot: Shot, rng: random.Random) -> Shot:
    """A small lamp highlight somewhere on the card that stays clear of all text (the photo, the margins)."""
    width, height = shot.card.image.size
    for _ in range(30):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        half_w, half_h = rng.uniform(10, 30), rng.uniform(10, 30)
        box = (round(x - half_w), round(y - half_h), round(x + half_w), round(y + half_h))
        if not glare_reaches_text(shot, glare_ellipse(shot, box)):
            return glare(shot, box)
    return shot


def _develop(shot: Shot, rng: random.Random, gen: np.random.Generator, strong_blur: bool, dark: bool) -> Shot:
    """What the phone does to the framed scene: blur, sometimes a faded print, room light and sensor grain."""
    shot = _blur(shot, rng, strong=strong_blur)
    if rng.random() < 0.25:
        shot = fade(shot, _uniform(rng, 0.05, 0.2))
    return _light(shot, rng, gen, dark=dark)


def _camera(card: RenderedCard, rng: random.Random, defect: str | None) -> Photo:
    """A phone photo of the card; `defect` (one of HARSH_VERDICTS) adds one decisive problem to it.

    Glare comes after the light: a highlight clips the sensor however the rest of the frame is exposed.
    """
    gen = _generator(rng)
    layout = _camera_layout(card, rng, gen, ID1_CORNER_RADIUS)
    hidden_in_dark = defect == "KTP_NOT_DETECTED" and rng.random() < 0.25
    if defect == "KTP_NOT_DETECTED" and not hidden_in_dark:
        layout = cut_off(layout, _uniform(rng, 0.1, 0.4), _uniform(rng, 0, 360, 1))
    shot = expose(layout)
    if defect == "OBSTRUCTION_DETECTED":
        shot = occlude(shot, _target_field(rng), rng.choice(SKIN_TONES), width=_uniform(rng, 190, 240, 1),
                       coverage=_uniform(rng, 0.85, 0.95))  # fmt: skip
    shot = _develop(shot, rng, gen, strong_blur=defect == "BLUR_DETECTED", dark=hidden_in_dark)
    if defect == "GLARE_DETECTED":
        shot = glare(shot, _target_field(rng), min_size=DECISIVE_GLARE_SIZE)
    elif defect is None and rng.random() < 0.3:
        shot = _harmless_glare(shot, rng)
    if defect == "LOW_RESOLUTION":
        shot = downscale(shot, round(_uniform(rng, 150, 260, 0) / card_width(shot), 4))
    return to_photo(jpeg(shot, rng.randint(60, 90)), defect or "OK")


def _target_field(rng: random.Random) -> str:
    """The NIK half the time (what a reader needs most), otherwise another printed value."""
    return "nik" if rng.random() < 0.5 else rng.choice(TARGET_FIELDS)


def photograph(card: RenderedCard, preset: str, rng: random.Random) -> Photo:
    """clean / camera / harsh: the card photographed per the preset ("negative" ignores the card)."""
    if preset == "clean":
        return to_photo(flat(card), "OK")
    if preset == "camera":
        return _camera(card, rng, None)
    if preset == "harsh":
        return _camera(card, rng, rng.choice(HARSH_VERDICTS))
    if preset == "negative":
        return negative_photo(rng)
    raise ValueError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")


def negative_photo(rng: random.Random) -> Photo:
    """preset negative: an image that is not a KTP; expected_quality KTP_NOT_DETECTED, corners None."""
    gen = _generator(rng)
    kind = rng.choice(NEGATIVE_KINDS)
    subject = negative_subject(kind, rng)
    label = {"negative": {"kind": kind}}
    if subject is None:
        scene_kind = rng.choice(SCENE_KINDS)
        shot = Shot(scene(scene_kind, FRAME, gen), None, None, {**label, "scene": {"kind": scene_kind}})
    else:
        layout = _camera_layout(subject, rng, gen, 0.0 if kind == "document" else ID1_CORNER_RADIUS)
        shot = expose(replace(layout, degradations={**label, **layout.degradations}))
    shot = _develop(shot, rng, gen, strong_blur=False, dark=False)
    return to_photo(jpeg(shot, rng.randint(60, 90)), "KTP_NOT_DETECTED")
