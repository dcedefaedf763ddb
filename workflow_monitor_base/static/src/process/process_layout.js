/** @odoo-module **/
/* Copyright 2026 Workflow Monitor
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

/**
 * Geometry of the process map (pure functions, no DOM): the stages as boxes in sequence
 * order, left to right, wrapping after PER_ROW; cancel stages on an exit lane below, each
 * under the stages it is mostly reached from. Forward moves between neighbours are
 * straight, longer forward moves arc above the row, backward moves (rework, out of
 * order) arc below it, dashed; moves across rows run along the lane between the rows,
 * moves to or from the exit lane are curves.
 * Edge width follows the number of moves, colour the median duration (quantile classes
 * of the map's own medians, see durationClasses). Labels are moved apart until none
 * overlaps another label or a box.
 */

export const NODE_W = 150;
export const NODE_H = 78;
const GAP_X = 86;
const PER_ROW = 6;
const MARGIN = 16;
const ARC_STEP = 24; // height of an arc per stage it spans
const ARC_BASE = 14;
const ROW_GAP = 64; // between two rows: the lane of the moves across them
const EXIT_GAP = 70; // above the exit lane
const LABEL_H = 17;
const CHAR_W = 6.4; // average width of a label character at 11px
const MIN_WIDTH = 1.5;
const MAX_WIDTH = 9;

export const CLASS_COLOURS = ["#2f6eb5", "#2a9d8f", "#e07b24", "#c2362f"];
export const NO_DURATION_COLOUR = "#8a8f98";

/**
 * Up to four classes of the edges' median durations, by quantiles.
 * @returns {number[]} the upper bounds of all classes but the last, ascending
 */
export function durationClasses(edges) {
    const medians = [
        ...new Set(edges.map((e) => e.median_seconds).filter((m) => m !== null && m !== undefined)),
    ].sort((a, b) => a - b);
    if (medians.length < 2) {
        return [];
    }
    const classes = Math.min(4, medians.length);
    const bounds = [];
    for (let i = 1; i < classes; i++) {
        const bound = medians[Math.floor((i * medians.length) / classes) - 1];
        if (!bounds.length || bound > bounds[bounds.length - 1]) {
            bounds.push(bound);
        }
    }
    return bounds;
}

export function durationClass(seconds, bounds) {
    if (seconds === null || seconds === undefined) {
        return -1;
    }
    const index = bounds.findIndex((bound) => seconds <= bound);
    return index === -1 ? bounds.length : index;
}

/** The palette slot of a class (-1: no duration): fewer classes spread over it. */
export function paletteSlot(classIndex, bounds) {
    if (classIndex < 0) {
        return -1;
    }
    const last = bounds.length;
    return last ? Math.round((classIndex * (CLASS_COLOURS.length - 1)) / last) : 0;
}

export function colourOf(classIndex, bounds) {
    const slot = paletteSlot(classIndex, bounds);
    return slot < 0 ? NO_DURATION_COLOUR : CLASS_COLOURS[slot];
}

/** [{id, colour}] of the arrowheads, one per palette slot (markers have one fill). */
export const ARROWS = [NO_DURATION_COLOUR, ...CLASS_COLOURS].map((colour, index) => ({
    id: `o_wm_pm_arrow_${index}`,
    colour,
}));

function placeNodes(nodes, edges) {
    const main = nodes.filter((n) => !n.is_cancel);
    const exits = nodes.filter((n) => n.is_cancel);
    const perRow = Math.max(1, Math.min(PER_ROW, main.length || exits.length));
    const boxes = {};
    main.forEach((node, index) => {
        boxes[node.stage] = { node, index, row: Math.floor(index / perRow), col: index % perRow };
    });
    const rows = main.length ? Math.ceil(main.length / perRow) : 0;
    // the columns of the last row's boxes are taken: a move from a row above to an exit
    // goes down a free column
    const lastRow = main.slice((rows - 1) * perRow);
    const taken = new Set(lastRow.length < perRow ? lastRow.map((n) => boxes[n.stage].col) : []);
    exits.forEach((node, j) => {
        // under the weighted mean column of the stages it is reached from
        let weight = 0;
        let sum = 0;
        for (const edge of edges) {
            const source = edge.to === node.stage && edge.from && boxes[edge.from];
            if (source) {
                weight += edge.count;
                sum += edge.count * source.col;
            }
        }
        let col = weight ? Math.round(sum / weight) : perRow - exits.length + j;
        col = Math.max(0, Math.min(perRow - 1, col));
        if (taken.has(col)) {
            const free = [...Array(perRow).keys()].filter((c) => !taken.has(c));
            if (free.length) {
                col = free.reduce((a, b) => (Math.abs(b - col) < Math.abs(a - col) ? b : a));
            }
        }
        taken.add(col);
        boxes[node.stage] = { node, index: main.length + j, row: rows, col, exit: true };
    });
    return { boxes, perRow, rows, hasExits: exits.length > 0 };
}

function edgeShape(edge, boxes, rows) {
    const source = boxes[edge.from];
    const target = boxes[edge.to];
    const back = target.index < source.index;
    if (target.exit && !source.exit && source.row < rows - 1) {
        // from a row above the last one: along the lane below its row, then down
        return { kind: "wrap", back, span: 0, gap: source.row };
    }
    if (source.exit || target.exit) {
        return { kind: "exit", back, span: 0 };
    }
    if (source.row === target.row) {
        const span = Math.abs(target.col - source.col);
        if (!back && span === 1) {
            return { kind: "straight", back, span };
        }
        return { kind: back ? "below" : "above", back, span };
    }
    // across rows: down (or up) to the lane between the rows, along it, down (up) again
    const gap = back ? source.row - 1 : source.row;
    return { kind: "wrap", back, span: 0, gap };
}

function rowSpaces(shapes, boxes, rows) {
    const above = Array(rows + 1).fill(0);
    const below = Array(rows + 1).fill(0);
    for (const { edge, shape } of shapes) {
        const row = boxes[edge.from].row;
        if (shape.kind === "above") {
            above[row] = Math.max(above[row], shape.span);
        } else if (shape.kind === "below") {
            below[row] = Math.max(below[row], shape.span);
        }
    }
    return { above, below };
}

function arcHeight(span) {
    return ARC_BASE + span * ARC_STEP;
}

function cubicPoint(p0, p1, p2, p3, t) {
    const u = 1 - t;
    return [
        u * u * u * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t * t * t * p3[0],
        u * u * u * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t * t * t * p3[1],
    ];
}

function wrapGeometry(shape, s, t, laneY) {
    const r = 10;
    const offset = shape.back ? 0.62 : 0.38;
    const x0 = s.x + NODE_W * offset;
    const x3 = t.x + NODE_W * offset;
    const down = t.y > s.y;
    const y0 = down ? s.y + NODE_H : s.y;
    const y3 = down ? t.y : t.y + NODE_H;
    const v = down ? 1 : -1; // vertical direction
    const h = x3 < x0 ? -1 : 1; // horizontal direction
    const d = [
        `M${x0},${y0}`,
        `V${laneY - v * r}`,
        `Q${x0},${laneY} ${x0 + h * r},${laneY}`,
        `H${x3 - h * r}`,
        `Q${x3},${laneY} ${x3},${laneY + v * r}`,
        `V${y3}`,
    ].join(" ");
    return { d, label: [(x0 + x3) / 2, laneY] };
}

function edgeGeometry(shape, s, t, lanes) {
    // s, t: the boxes with x, y; returns the path and the label's anchor point
    if (shape.kind === "wrap") {
        return wrapGeometry(shape, s, t, lanes[shape.gap] + (shape.lane || 0));
    }
    let p0, p1, p2, p3;
    if (shape.kind === "straight") {
        const y = s.y + NODE_H / 2;
        p0 = [s.x + NODE_W, y];
        p3 = [t.x, y];
        return { d: `M${p0[0]},${p0[1]} L${p3[0]},${p3[1]}`, label: [(p0[0] + p3[0]) / 2, y - 10] };
    }
    if (shape.kind === "above" || shape.kind === "below") {
        const up = shape.kind === "above";
        const y = up ? s.y : s.y + NODE_H;
        const control = arcHeight(shape.span) / 0.75; // the apex of the cubic is 3/4 of it
        p0 = [s.x + NODE_W * (up ? 0.62 : 0.38), y];
        p3 = [t.x + NODE_W * (up ? 0.38 : 0.62), y];
        const cy = up ? y - control : y + control;
        p1 = [p0[0], cy];
        p2 = [p3[0], cy];
    } else {
        const down = t.y > s.y;
        const offset = shape.back ? 0.62 : 0.38;
        p0 = [s.x + NODE_W * offset, down ? s.y + NODE_H : s.y];
        p3 = [t.x + NODE_W * offset, down ? t.y : t.y + NODE_H];
        const middle = (p0[1] + p3[1]) / 2;
        p1 = [p0[0], middle];
        p2 = [p3[0], middle];
    }
    const d = `M${p0[0]},${p0[1]} C${p1[0]},${p1[1]} ${p2[0]},${p2[1]} ${p3[0]},${p3[1]}`;
    return { d, label: cubicPoint(p0, p1, p2, p3, 0.5) };
}

function overlaps(a, b) {
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function placeLabels(edges, nodeBoxes) {
    // a label may cover the first pixels of a box's side (where its line starts)
    const placed = nodeBoxes.map((b) => ({ x: b.x + 8, y: b.y - 2, w: NODE_W - 16, h: NODE_H + 4 }));
    const steps = [0, -1, 1, -2, 2, -3, 3, -4, 4];
    for (const edge of edges) {
        const w = edge.labelText.length * CHAR_W + 10;
        const [cx, cy] = edge.labelAnchor;
        let box = null;
        for (const step of steps) {
            const candidate = { x: cx - w / 2, y: cy - LABEL_H / 2 + step * (LABEL_H + 2), w, h: LABEL_H };
            if (!placed.some((other) => overlaps(candidate, other))) {
                box = candidate;
                break;
            }
        }
        box = box || { x: cx - w / 2, y: cy - LABEL_H / 2, w, h: LABEL_H };
        placed.push(box);
        edge.labelBox = box;
    }
}

/** Each move across a gap between rows gets its own track in the gap's lane. */
function assignTracks(shapes) {
    const tracks = {};
    for (const { shape } of [...shapes].sort((a, b) => b.edge.count - a.edge.count)) {
        if (shape.kind === "wrap") {
            const used = tracks[shape.gap] || 0;
            shape.lane = (used % 2 ? 1 : -1) * Math.ceil(used / 2) * 8;
            tracks[shape.gap] = used + 1;
        }
    }
    return tracks;
}

/** Set x and y of every box, row by row, room left for the arcs and lanes: the lanes'
 * y and the bottom of the drawing. */
function placeRows(boxes, rows, hasExits, shapes) {
    const { above, below } = rowSpaces(shapes, boxes, rows);
    const tracks = assignTracks(shapes);
    const all = Object.values(boxes);
    const lanes = [];
    let y = MARGIN;
    for (let row = 0; row < rows; row++) {
        y += above[row] ? arcHeight(above[row]) + LABEL_H : LABEL_H;
        all.filter((box) => box.row === row && !box.exit).forEach((box) => (box.y = y));
        y += NODE_H + (below[row] ? arcHeight(below[row]) + LABEL_H / 2 : 0);
        if (row < rows - 1) {
            const gapTracks = tracks[row] || 0;
            lanes.push(y + ROW_GAP / 2 + (gapTracks * 8) / 2);
            y += ROW_GAP + gapTracks * 8;
        }
    }
    if (hasExits) {
        y += rows ? EXIT_GAP : 0;
        all.filter((box) => box.exit).forEach((box) => (box.y = y));
        y += NODE_H;
    }
    all.forEach((box) => (box.x = MARGIN + box.col * (NODE_W + GAP_X)));
    return { lanes, bottom: y };
}

function drawEdges(shapes, boxes, lanes, labelOf) {
    const maxCount = Math.max(1, ...shapes.map(({ edge }) => edge.count));
    const bounds = durationClasses(shapes.map(({ edge }) => edge));
    const drawn = shapes.map(({ edge, shape }) => {
        const geometry = edgeGeometry(shape, boxes[edge.from], boxes[edge.to], lanes);
        const cls = durationClass(edge.median_seconds, bounds);
        return {
            edge,
            key: `${edge.from}>${edge.to}`,
            d: geometry.d,
            back: shape.back,
            shape,
            width: MIN_WIDTH + ((MAX_WIDTH - MIN_WIDTH) * edge.count) / maxCount,
            colour: colourOf(cls, bounds),
            arrow: ARROWS[paletteSlot(cls, bounds) + 1].id,
            labelAnchor: geometry.label,
            labelText: labelOf(edge),
        };
    });
    // thick edges first: their labels keep their place, thin ones move
    drawn.sort((a, b) => b.edge.count - a.edge.count);
    placeLabels(drawn, Object.values(boxes));
    return { drawn, bounds };
}

/** Move everything down when a label was pushed above the top: the shift applied. */
function shiftBelowTop(drawn, boxes, lanes) {
    const labelTop = Math.min(0, ...drawn.map((e) => e.labelBox.y));
    const shift = labelTop < 0 ? -labelTop + 4 : 0;
    if (shift) {
        Object.values(boxes).forEach((box) => (box.y += shift));
        const shifted = lanes.map((lane) => lane + shift);
        for (const edge of drawn) {
            const { from, to } = edge.edge;
            edge.d = edgeGeometry(edge.shape, boxes[from], boxes[to], shifted).d;
            edge.labelBox = { ...edge.labelBox, y: edge.labelBox.y + shift };
        }
    }
    return shift;
}

/**
 * @param {Object} map the ``map`` of get_process_screen
 * @param {Function} labelOf (edge) => label text (to measure it)
 * @returns {{width, height, nodes, edges, bounds}} everything the template draws
 */
export function layoutProcess(map, labelOf) {
    const edges = map.edges.filter((e) => e.from && e.from !== e.to);
    const { boxes, perRow, rows, hasExits } = placeNodes(map.nodes, edges);
    const shapes = edges.map((edge) => ({ edge, shape: edgeShape(edge, boxes, rows) }));
    const { lanes, bottom } = placeRows(boxes, rows, hasExits, shapes);
    const { drawn, bounds } = drawEdges(shapes, boxes, lanes, labelOf);
    const labelBottom = Math.max(0, ...drawn.map((e) => e.labelBox.y + e.labelBox.h));
    const shift = shiftBelowTop(drawn, boxes, lanes);
    return {
        width: MARGIN * 2 + perRow * NODE_W + (perRow - 1) * GAP_X,
        height: Math.max(bottom, labelBottom) + shift + MARGIN,
        nodes: map.nodes.map((node) => ({ node, x: boxes[node.stage].x, y: boxes[node.stage].y })),
        edges: drawn.reverse(), // thin ones first: thick edges and their labels on top
        bounds,
    };
}
