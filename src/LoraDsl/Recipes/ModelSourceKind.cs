namespace LoraDsl.Recipes;

public enum ModelSourceKind
{
    /// <summary>A Hugging Face checkpoint folder (config.json + safetensors).</summary>
    Directory,

    /// <summary>A model shipped with the runtime or a package, named; the engine knows where it lives.</summary>
    BuiltIn,
}
