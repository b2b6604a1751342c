/**
 * The run graph (React Flow), loaded only when a run is opened: one node per step, coloured by
 * its live state, edges from the workflow's graph, loops as groups around their bodies (one node
 * each above a few hundred nodes), laid out by graph-layout.ts. Clicking a node selects the step;
 * a sub-workflow node links to the child run it started.
 */
import { Background, Controls, ReactFlow, type Edge, type Node } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useMemo } from "react";
import type { RunGraph as Definition } from "../../../src/events/index.js";
import type { StepState } from "../../../src/projections/index.js";
import { navigate } from "../app/app-route.js";
import { formatDuration } from "../common/format.js";
import type { ChildRuns } from "./use-child-runs.js";
import type { Wave } from "./run-model.js";
import { layoutDefinition, layoutWaves, type GraphNode } from "./graph-layout.js";

interface Props {
  readonly steps: Readonly<Record<string, StepState>>;
  readonly graph: Definition | undefined;
  readonly waves: readonly Wave[];
  readonly selected: string | undefined;
  readonly onSelect: (stepId: string | undefined) => void;
  /** The child runs of sub-workflow steps, by step id (newest first). */
  readonly childRuns?: ChildRuns;
  /** The step a suspended run waits in, and the signal it waits for: drawn in the suspended colour. */
  readonly waiting?: { readonly stepId: string; readonly signal: string } | undefined;
}

/** The link from a sub-workflow node to its (latest) child run; its click opens the run, not the step. */
function ChildLink({ runIds }: { runIds: readonly string[] }) {
  const runId = runIds[0]!;
  return (
    <a
      className="node-link"
      href={`/runs/${encodeURIComponent(runId)}`}
      data-child-run={runId}
      title={runIds.length > 1 ? `Sub-workflow: ${runIds.length} child runs, the latest opens` : "Sub-workflow: open the child run"}
      onClick={(event) => {
        event.preventDefault();
        event.stopPropagation();
        navigate(`/runs/${encodeURIComponent(runId)}`);
      }}
    >
      run ↗{runIds.length > 1 ? ` ×${runIds.length}` : ""}
    </a>
  );
}

function meta(n: GraphNode): string {
  const parts: string[] = [];
  if (n.workflow !== undefined) parts.push(`runs ${n.workflow}`);
  if (n.bodySteps > 0) parts.push(`${n.bodySteps} steps inside`);
  if (n.iterations > 1) parts.push(`${n.done}/${n.iterations} iterations`);
  if (n.attempts > 1) parts.push(`${n.attempts} attempts`);
  if (n.queuedMs !== undefined) parts.push(`queued ${formatDuration(n.queuedMs)}`);
  parts.push(n.status === "pending" ? "pending" : formatDuration(n.durationMs));
  return parts.join(" · ");
}

function RunGraph({ steps, graph, waves, selected, onSelect, childRuns, waiting }: Props) {
  const layout = useMemo(() => (graph === undefined ? layoutWaves(steps, waves) : layoutDefinition(graph, steps)), [steps, graph, waves]);
  const { nodes, edges } = useMemo(() => {
    const nodes: Node[] = layout.nodes.map((n) => {
      // The fold calls a waiting step running; the page shows what it is doing.
      const waits = waiting !== undefined && n.stepId === waiting.stepId && n.status === "running";
      return {
        id: n.id,
        position: { x: n.x, y: n.y },
        ...(n.parent === undefined ? {} : { parentId: n.parent, extent: "parent" as const }),
        style: { width: n.width, height: n.height },
        data: {
          label: (
            <div className={`node-body ${n.group ? "node-group-head" : ""}`} data-step={n.stepId} data-node={n.id} data-status={n.status} data-kind={n.kind} {...(waits ? { "data-waiting-for": waiting.signal } : {})}>
              <div className="node-title">
                <span className="dot" />
                <span className="node-name">{n.stepId}</span>
                {n.kind === "workflow" && childRuns?.[n.stepId] !== undefined ? (
                  <ChildLink runIds={childRuns[n.stepId]!} />
                ) : (
                  n.kind !== "step" && <span className="node-kind">{n.kind === "workflow" ? "sub-workflow" : n.kind}</span>
                )}
              </div>
              <div className="node-meta">{waits ? `waiting for ${waiting.signal}` : meta(n)}</div>
            </div>
          ),
        },
        className: `step-node status-${waits ? "suspended" : n.status} ${n.group ? "group-node" : ""} ${selected === n.stepId ? "selected" : ""}`,
        draggable: false,
        connectable: false,
        sourcePosition: "right" as never,
        targetPosition: "left" as never,
      };
    });
    const edges: Edge[] = layout.edges.map((e) => ({
      id: `${e.from}->${e.to}`,
      source: e.from,
      target: e.to,
      className: `edge-${e.kind}`,
      ...(e.kind === "then" || e.kind === "else" ? { label: e.kind, labelStyle: { fill: "#8b93a7", fontSize: 10 }, labelBgStyle: { fill: "#131720" } } : {}),
      animated: false,
    }));
    return { nodes, edges };
  }, [layout, selected, childRuns, waiting]);
  return (
    <div className="graph" data-testid="run-graph" data-edges={graph === undefined ? "guessed" : "defined"}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1.1 }}
        nodesDraggable={false}
        nodesConnectable={false}
        proOptions={{ hideAttribution: true }}
        onNodeClick={(_event, node) => {
          const stepId = layout.nodes.find((n) => n.id === node.id)?.stepId;
          onSelect(stepId === selected ? undefined : stepId);
        }}
        onPaneClick={() => onSelect(undefined)}
        minZoom={0.05}
        onlyRenderVisibleElements
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

export default memo(RunGraph);
