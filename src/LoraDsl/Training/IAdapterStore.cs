namespace LoraDsl.Training;

/// <summary>Writes and reads the trained (adapter) weights of a checkpoint; the LoRA side supplies the PEFT writer.</summary>
public interface IAdapterStore
{
    /// <summary>Writes the adapter files into <paramref name="directory"/> (which exists and is empty).</summary>
    void Save(string directory);

    /// <summary>Loads the adapter files of a checkpoint into the live model.</summary>
    void Load(string directory);
}
