package kmd.api;

/**
 * The nodes of an adapter, the engines a context runs on. A node's NodeOrdinal (DXGKARG_CREATECONTEXT,
 * DXGKARG_QUERYENGINESTATUS, DXGK_INTERRUPT_DMA_COMPLETED) is its {@link #nodeOrdinal()}: every adapter
 * of the model has these two nodes, copy 0 and render 1.
 */
public enum EngineNode {
    COPY, RENDER;

    private static final EngineNode[] ALL = values();

    /** This node's NodeOrdinal. */
    public int nodeOrdinal() {
        return ordinal();
    }

    /** The node of NodeOrdinal {@code nodeOrdinal}; an {@link IllegalArgumentException} naming it if the adapter has none. */
    public static EngineNode ofNodeOrdinal(int nodeOrdinal) {
        if (nodeOrdinal < 0 || nodeOrdinal >= ALL.length) {
            throw new IllegalArgumentException("NodeOrdinal " + nodeOrdinal + " is not a node of the adapter (0 copy, 1 render)");
        }
        return ALL[nodeOrdinal];
    }
}
