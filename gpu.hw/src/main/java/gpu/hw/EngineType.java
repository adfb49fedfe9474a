package gpu.hw;

/** The engines of the adapter (WDDM nodes). */
public enum EngineType {
    /** A copy (DMA) engine. */
    COPY,
    /** The 3D / compute engine. */
    RENDER
}
