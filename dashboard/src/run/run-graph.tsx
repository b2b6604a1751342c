/**
 * The run graph (React Flow), loaded only when a run is opened: one node per step, coloured by
 * its live state, laid out by waves (graph-layout.ts). Clicking a node selects the step.
 */
import { Background, Controls, ReactFlow, type Edge, type Node } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useMemo } from "react";
import type { Step } from "../api/api-types.js";
import { formatDuration } from "../common/format.js";
import type { Wave } from "./run-model.js";
import { layoutGraph } from "./graph-layout.js";

const COLUMN = 230;
const ROW = 72;

interface Props {
  readonly steps: Iterable<Step>;
  readonly waves: readonly Wave[];
  readonly selected: string | undefined;
  readonly onSelect: (stepId: string | undefined) => void;
}

function RunGraph({ steps, waves, selected, onSelect }: Props) {
  const { nodes, edges } = useMemo(() => {
    const layout = layoutGraph(steps, waves);
    const nodes: Node[] = layout.nodes.map((n) => ({
      id: n.id,
      position: { x: n.column * COLUMN, y: n.row * ROW },
      data: {
        label: (
          <div className="node-body" data-step={n.id} data-status={n.status}>
            <div className="node-title">
              <span className="dot" />
              {n.id}
            </div>
            <div className="node-meta">
              {n.iterations > 1 ? `${n.done}/${n.iterations} iterations · ` : ""}
              {n.attempts > 1 ? `${n.attempts} attempts · ` : ""}
              {n.status === "pending" ? "pending" : formatDuration(n.durationMs)}
            </div>
          </div>
        ),
      },
      className: `step-node status-${n.status} ${selected === n.id ? "selected" : ""}`,
      draggable: false,
      connectable: false,
      sourcePosition: "right" as never,
      targetPosition: "left" as never,
    }));
    const edges: Edge[] = layout.edges.map((e) => ({
      id: `${e.from}->${e.to}`,
      source: e.from,
      target: e.to,
      className: e.exact ? "edge-exact" : "edge-inferred",
      animated: false,
    }));
    return { nodes, edges };
  }, [steps, waves, selected]);
  return (
    <div className="graph" data-testid="run-graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1.1 }}
        nodesDraggable={false}
        nodesConnectable={false}
        proOptions={{ hideAttribution: true }}
        onNodeClick={(_event, node) => onSelect(node.id === selected ? undefined : node.id)}
        onPaneClick={() => onSelect(undefined)}
        minZoom={0.1}
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

export default memo(RunGraph);
