using System.Text.Json.Nodes;
using LoraDsl.Models.Bert;
using TorchSharp.PyBridge;

namespace LoraDsl.Tests.TestCheckpoints;

/// <summary>Loads a Hugging Face BERT folder (config.json + model.safetensors) the way the tests need it.</summary>
public static class BertFolder
{
    public static BertForSequenceClassification Load(string directory)
    {
        var configPath = Path.Combine(directory, "config.json");
        var config = BertConfig.FromJson((JsonObject)JsonNode.Parse(File.ReadAllText(configPath))!, configPath);
        var model = new BertForSequenceClassification(config);
        var weightsPath = Path.Combine(directory, "model.safetensors");
        var sd = Safetensors.LoadStateDict(weightsPath);
        try
        {
            BertWeightLoader.LoadWeights(model, sd, weightsPath);
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
        model.eval();
        return model;
    }
}
