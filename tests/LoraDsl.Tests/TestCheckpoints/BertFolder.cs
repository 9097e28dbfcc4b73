using LoraDsl.Checkpoints;
using LoraDsl.Models.Bert;

namespace LoraDsl.Tests.TestCheckpoints;

/// <summary>Loads a Hugging Face BERT folder (config.json + model.safetensors) through the public loader.</summary>
internal static class BertFolder
{
    public static BertForSequenceClassification Load(string directory) =>
        (BertForSequenceClassification)ModelLoader.Load(directory, new ModelLoadOptions { Device = "cpu" });
}
