"""Find the e-KTP in a photo and rectify it to the canonical 1012x638 card the readers expect.

Coordinates are continuous, as in the generator's manifest: pixel (x, y) covers [x, x+1) x [y, y+1),
so a flat scan's corners are (0, 0) .. (1012, 638). OpenCV samples pixel (x, y) at the point (x, y),
so every OpenCV call below is given coordinates shifted by half a pixel.

The card is found on a small copy (its light-blue stock against the scene), then each side is located
to a fraction of a pixel at full resolution and the corners are the intersections of the four side
lines: an ID-1 card has rounded corners, so its contour has no vertex where the corner really is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from synthetic_ktp.render import CARD_SIZE

# Finding the card on the detection copy
DETECT_WIDTH = 320  # px: the copy the card is found on; a card 76% of a 1280 px frame is ~240 px wide there
MIN_SIDE = 8  # px: an image smaller than this on either side cannot show a card
STOCK_BLUE_MARGIN = 12  # blue minus red of the card stock: 44-60 printed, >= ~20 under dim light and fading
STOCK_MIN_LEVEL = 125  # brightest channel of the stock: >= ~130 at the dimmest camera exposure
STOCK_MAX_SATURATION = 0.29  # blue minus red over level: the stock is a pale blue (<= 0.26), blue cloth is not
MIN_AREA_FRACTION = 0.02  # of the frame: a smaller light-blue patch is not a card a reader could use
GLARE_LEVEL = 245  # every channel at least this: a clipped highlight
GLARE_HALO = 1.6  # a highlight's halo lifts the scene to stock brightness out to ~1.5x its clipped core
OUTLINE_POINTS = 400  # the card's outline is thinned to about this many points before its sides are fitted
HULL_TOLERANCE = 1.5  # detection-copy px: how near the convex hull a contour point must be to count as outer
COARSE_INLIER_PX = 1.0  # detection-copy px: distance from a side's line within which an outline point supports it
SCAN_FILL = 0.9  # of the image the stock covers when the image is the card itself
SCAN_ASPECT_TOLERANCE = 0.05  # relative difference from the card's aspect ratio still taken for a scan

# Measuring each side at full resolution
SIDE_SPAN = (0.12, 0.88)  # where along a side its edge is measured: clear of the rounded corners (radius 3.7%)
SIDE_SAMPLES = 64  # profiles across each side
ALONG_SMOOTHING = 5  # parallel profiles averaged into one, 1 px apart: grain and JPEG noise fall by ~2x
EDGE_WINDOW = 3  # px each side of the steepest rise whose centroid is the edge: a shake blur makes a flat ramp
CHROMA_SHARE = 0.3  # of the stock-scene colour difference left once the scene's own colour is removed
INLIER_PX = 2.5  # px from a side's line within which an edge point supports it: JPEG's chroma blocks zigzag

CANONICAL_CORNERS = np.array([[0, 0], [CARD_SIZE[0], 0], [CARD_SIZE[0], CARD_SIZE[1]], [0, CARD_SIZE[1]]], np.float64)
Line = tuple[np.ndarray, np.ndarray]  # a point on the line and its unit direction


@dataclass(frozen=True)
class CardLocation:
    """Where the card is in the photo."""

    corners: np.ndarray  # 4x2 float64, TL TR BR BL in image px, same convention as the manifest corners
    width_px: float  # mean of top and bottom edge lengths
    touches_border: bool  # the card runs off the frame


def find_card(image: np.ndarray) -> CardLocation | None:
    """The card's corners in `image` (BGR uint8), or None when no light-blue card-sized quad is in it."""
    image = _as_bgr(image)
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        return None
    small = _detection_copy(image)
    scale = np.array([width / small.shape[1], height / small.shape[0]])
    region = _card_region(small)
    if region is None:
        return None
    frame = np.array([width, height], np.float64)
    if _is_scan(region, small.shape, frame):
        corners = CANONICAL_CORNERS / CARD_SIZE * frame
        return CardLocation(corners, _edge_width(corners), touches_border=False)
    outline = region.reshape(-1, 2)
    outline = outline[~_glare_zone(small)[outline[:, 1], outline[:, 0]]]
    coarse = _coarse_quad(outline[:: max(1, len(outline) // OUTLINE_POINTS)].astype(np.float64) + 0.5)
    if coarse is None:
        return None
    corners = coarse * scale  # continuous coords: a contour runs through pixel centres
    touches_border = _touches_border(outline, small.shape)
    if not touches_border:
        corners = _refine(image, corners, reach=max(4.0, 2.5 * float(scale.max())))
        touches_border = bool(np.any(corners < 0) or np.any(corners > frame))
    return CardLocation(corners, _edge_width(corners), touches_border)


def rectify(image: np.ndarray, location: CardLocation) -> np.ndarray:
    """The card warped flat to the canonical 1012x638 BGR card (card point (x, y) at its layout place)."""
    image = _as_bgr(image)
    to_image = cv2.getPerspectiveTransform(CANONICAL_CORNERS.astype(np.float32), location.corners.astype(np.float32))
    half = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    matrix = np.linalg.inv(half) @ to_image @ half
    return cv2.warpPerspective(
        image, matrix, CARD_SIZE, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )


def _as_bgr(image: np.ndarray) -> np.ndarray:
    """Greyscale and BGRA inputs as BGR, so odd decoder outputs still get a verdict."""
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def _detection_copy(image: np.ndarray) -> np.ndarray:
    """The image halved until it is about DETECT_WIDTH wide (exact 2x2 means are OpenCV's fast path)."""
    while image.shape[1] > DETECT_WIDTH * 1.5 and image.shape[0] >= 2 * MIN_SIDE:
        image = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
    return image


def _card_region(small: np.ndarray) -> np.ndarray | None:
    """The outer contour of the largest light-blue blob: the card stock with its print as holes."""
    blue, green, red = cv2.split(cv2.blur(small, (3, 3)))
    bluish = cv2.subtract(blue, red)
    level = cv2.max(cv2.max(blue, red), green)
    pale = bluish.astype(np.float32) < STOCK_MAX_SATURATION * level
    mask = ((bluish > STOCK_BLUE_MARGIN) & (level > STOCK_MIN_LEVEL) & pale).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    largest = max(contours, key=cv2.contourArea)
    if cv2.contourArea(largest) < MIN_AREA_FRACTION * small.shape[0] * small.shape[1]:
        return None
    return largest


def _glare_zone(small: np.ndarray) -> np.ndarray:
    """Where a highlight's halo may pass for card stock: each clipped blob grown GLARE_HALO times.

    A lamp's halo lifts a blue cloth to the stock's pale blue, so near a highlight the blob's outline
    can bulge past the card's edge; those outline points are not used.
    """
    zone = np.zeros(small.shape[:2], np.uint8)
    clipped = (cv2.min(cv2.min(small[..., 0], small[..., 1]), small[..., 2]) >= GLARE_LEVEL).astype(np.uint8)
    if not clipped.any():
        return zone.astype(bool)
    blobs, _ = cv2.findContours(clipped, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for blob in blobs:
        centre, (w, h), angle = cv2.minAreaRect(blob)
        cv2.ellipse(zone, (centre, (GLARE_HALO * w + 4, GLARE_HALO * h + 4), angle), 1, -1)
    return zone.astype(bool)


def _touches_border(outline: np.ndarray, shape: tuple[int, ...]) -> bool:
    if len(outline) == 0:
        return False
    return bool(np.any(outline.min(axis=0) <= 0) or np.any(outline.max(axis=0) >= [shape[1] - 1, shape[0] - 1]))


def _is_scan(region: np.ndarray, shape: tuple[int, ...], frame: np.ndarray) -> bool:
    """The image is the card itself (a flat scan or a tight crop): stock fills it, at the card's aspect."""
    filled = cv2.contourArea(region) > SCAN_FILL * shape[0] * shape[1]
    aspect = frame[0] / frame[1] / (CARD_SIZE[0] / CARD_SIZE[1])
    return filled and abs(aspect - 1) < SCAN_ASPECT_TOLERANCE


def _coarse_quad(contour: np.ndarray) -> np.ndarray | None:
    """Corners from lines fitted to each side's outermost contour points.

    Only points on the convex hull count: a thumb or a highlight bites into the blob, and the edge of
    the bite is as straight as a card side but lies inside it.
    """
    if len(contour) < 8:
        return None
    hull = cv2.convexHull(contour.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    (cx, cy), (w, h), angle = cv2.minAreaRect(hull.astype(np.float32))
    if min(w, h) < 4:
        return None
    box = cv2.boxPoints(((cx, cy), (w, h), angle)).astype(np.float64)
    outer = contour[_distance_to_polygon(contour, hull) < HULL_TOLERANCE]
    edges = [box[(i + 1) % 4] - box[i] for i in range(4)]
    across = min(edges, key=lambda edge: abs(edge[1]) / (np.linalg.norm(edge) + 1e-9))  # the nearest-horizontal side
    u = across / np.linalg.norm(across) * (1 if across[0] >= 0 else -1)
    v = np.array([-u[1], u[0]])  # points down the image
    half_u = float(np.linalg.norm(across)) / 2
    half_v = w * h / 4 / half_u
    nu, nv = (outer - [cx, cy]) @ u / half_u, (outer - [cx, cy]) @ v / half_v  # -1..1 across the card
    straight_u, straight_v = np.abs(nu) < 0.85, np.abs(nv) < 0.75  # away from the rounded corners
    sides = [
        outer[(nv < 0) & straight_u & (np.abs(nv) > np.abs(nu))],  # top
        outer[(nu > 0) & straight_v & (np.abs(nu) > np.abs(nv))],  # right
        outer[(nv > 0) & straight_u & (np.abs(nv) > np.abs(nu))],  # bottom
        outer[(nu < 0) & straight_v & (np.abs(nu) > np.abs(nv))],  # left
    ]
    if min(len(side) for side in sides) < 4:
        return _ordered(box)
    lines = [_robust_line(side, COARSE_INLIER_PX) for side in sides]
    corners = [_intersect(lines[(i + 3) % 4], lines[i]) for i in range(4)]  # TL = left x top, TR = top x right, …
    if any(corner is None for corner in corners):
        return _ordered(box)
    return np.array(corners)


def _distance_to_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Each point's distance to the nearest edge of a closed polygon."""
    starts, ends = polygon, np.roll(polygon, -1, axis=0)
    edge = ends - starts
    rel = points[:, None, :] - starts[None]
    t = np.clip((rel * edge).sum(axis=2) / np.maximum((edge * edge).sum(axis=1), 1e-9), 0, 1)
    return np.linalg.norm(rel - t[..., None] * edge, axis=2).min(axis=1)


def _ordered(box: np.ndarray) -> np.ndarray:
    """Four points as TL, TR, BR, BL: by angle around their centre, starting from the top-left one."""
    centre = box.mean(axis=0)
    order = np.argsort(np.arctan2(box[:, 1] - centre[1], box[:, 0] - centre[0]))
    ring = box[order]
    start = int(np.argmin(ring.sum(axis=1)))
    return np.roll(ring, -start, axis=0)


def _fit_line(points: np.ndarray) -> Line:
    """Total least squares: the line through the centroid along the points' main axis."""
    centre = points.mean(axis=0)
    dx, dy = (points - centre).T
    angle = 0.5 * math.atan2(2 * float(dx @ dy), float(dx @ dx - dy @ dy))
    return centre, np.array([math.cos(angle), math.sin(angle)])


def _intersect(first: Line, second: Line) -> np.ndarray | None:
    (p, d), (q, e) = first, second
    matrix = np.array([d, -e]).T
    if abs(np.linalg.det(matrix)) < 1e-6:
        return None
    t = np.linalg.solve(matrix, q - p)
    return p + t[0] * d


def _refine(image: np.ndarray, corners: np.ndarray, reach: float) -> np.ndarray:
    """Corners re-measured at full resolution: each side's edge found across it, lines fitted, intersected."""
    lines = []
    for index in range(4):
        start, end = corners[index], corners[(index + 1) % 4]
        line = _measure_side(image, start, end, corners.mean(axis=0), reach)
        if line is None:
            return corners
        lines.append(line)
    refined = [_intersect(lines[(i + 3) % 4], lines[i]) for i in range(4)]
    if any(corner is None for corner in refined) or np.abs(np.array(refined) - corners).max() > 2 * reach:
        return corners
    return np.array(refined)


def _measure_side(
    image: np.ndarray, start: np.ndarray, end: np.ndarray, centre: np.ndarray, reach: float
) -> Line | None:
    """The side between two rough corners, as the line through its edge points (outliers voted out)."""
    length = np.linalg.norm(end - start)
    if length < 8:
        return None
    along = (end - start) / length
    inward = np.array([-along[1], along[0]])
    if (centre - start) @ inward < 0:
        inward = -inward
    steps = np.arange(-np.ceil(reach), np.ceil(reach) + 1)
    spread = np.arange(ALONG_SMOOTHING) - ALONG_SMOOTHING // 2
    spots = np.linspace(*SIDE_SPAN, SIDE_SAMPLES)[:, None] * length + spread
    origins = start + spots.reshape(-1, 1) * along  # (samples * smoothing, 2)
    grid = origins[:, None, :] + steps[None, :, None] * inward  # continuous coords
    grid = (grid - 0.5).astype(np.float32)
    profiles = cv2.remap(image, grid[..., 0], grid[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    profiles = profiles.astype(np.float32).reshape(SIDE_SAMPLES, ALONG_SMOOTHING, len(steps), 3).mean(axis=1)
    inside = np.median(profiles[:, -3:].mean(axis=1), axis=0)
    outside = np.median(profiles[:, :3].mean(axis=1), axis=0)
    axis = _stock_axis(inside, outside)
    if axis is None:
        return None
    levels = profiles @ axis  # how much like the stock and unlike the scene each sample looks
    rise = np.diff(levels, axis=1)  # rise[k] sits between steps k and k+1
    peak = np.argmax(rise, axis=1)
    strength = rise[np.arange(SIDE_SAMPLES), peak]
    usable = strength > 0.25 * max(float(np.median(strength)), 1e-3)
    if usable.sum() < 6:
        return None
    window = np.arange(-EDGE_WINDOW, EDGE_WINDOW + 1)
    taps = np.clip(peak[:, None] + window, 0, rise.shape[1] - 1)
    weights = np.clip(np.take_along_axis(rise, taps, axis=1), 0, None)
    centroid = (weights * taps).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-6)
    offsets = steps[0] + centroid + 0.5
    points = origins.reshape(SIDE_SAMPLES, ALONG_SMOOTHING, 2)[:, ALONG_SMOOTHING // 2] + offsets[:, None] * inward
    return _robust_line(points[usable], INLIER_PX)


def _stock_axis(inside: np.ndarray, outside: np.ndarray) -> np.ndarray | None:
    """The colour direction from scene to stock, minus any part along the scene's own colour.

    The card's shadow and the light's falloff scale the scene's colour, so they vary only along it:
    dropping that component keeps them from looking like an edge. A grey scene on a grey-looking card
    leaves too little, and then the plain difference is used.
    """
    difference = inside - outside
    scene = outside / max(float(np.linalg.norm(outside)), 1e-3)
    chroma = difference - (difference @ scene) * scene
    axis = chroma if np.linalg.norm(chroma) > CHROMA_SHARE * np.linalg.norm(difference) else difference
    norm = float(np.linalg.norm(axis))
    return axis / norm if norm > 1e-3 else None


def _robust_line(points: np.ndarray, tolerance: float) -> Line:
    """A line through most of the points: the best-supported line through a pair of them, refitted on its support.

    Pairs are taken at several spacings, so a side whose edge is hidden along most of its length
    (under a thumb) still offers pairs from the stretch that shows.
    """
    count = len(points)
    pairs = np.array([
        (index, index + stride)
        for stride in sorted({max(1, count // 2), max(1, count // 4), max(1, count // 8)})
        for index in range(0, count - stride, max(1, stride // 4))
    ]).reshape(-1, 2)  # fmt: skip
    if len(pairs) == 0:
        return _fit_line(points)
    starts, directions = points[pairs[:, 0]], points[pairs[:, 1]] - points[pairs[:, 0]]
    normals = np.stack([-directions[:, 1], directions[:, 0]], axis=1)
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-9)
    distances = np.abs(np.einsum("kd,knd->kn", normals, points[None] - starts[:, None]))
    best = distances[np.argmax((distances < tolerance).sum(axis=1))] < tolerance
    line = _fit_line(points[best])
    for _ in range(2):
        support = np.abs((points - line[0]) @ [-line[1][1], line[1][0]]) < tolerance
        if support.sum() >= 2:
            line = _fit_line(points[support])
    return line


def _edge_width(corners: np.ndarray) -> float:
    return float(np.linalg.norm(corners[1] - corners[0]) + np.linalg.norm(corners[2] - corners[3])) / 2
