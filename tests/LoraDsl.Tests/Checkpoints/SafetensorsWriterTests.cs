using System.Text;
using System.Text.Json;
using LoraDsl.Checkpoints;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Checkpoints;

public class SafetensorsWriterTests
{
    [Fact]
    public void Writes_header_data_and_metadata_that_PyBridge_reads_back()
    {
        var dir = Directory.CreateTempSubdirectory("loradsl-st-").FullName;
        var path = Path.Combine(dir, "a.safetensors");
        using var w = randn(3, 5);
        using var b = randn(4).to(ScalarType.BFloat16);
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["w"] = w, ["b"] = b }, new Dictionary<string, string> { ["format"] = "pt" });

        var bytes = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, headerLength % 8);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
        Assert.Equal("pt", header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());
        Assert.Equal("BF16", header.RootElement.GetProperty("b").GetProperty("dtype").GetString());
        Assert.Equal(8 + headerLength + 4 * 2 + 15 * 4, bytes.Length);

        var read = TorchSharp.PyBridge.Safetensors.LoadStateDict(path);
        Assert.True(read["w"].eq(w).all().item<bool>());
        Assert.True(read["b"].eq(b).all().item<bool>());
    }

    [Fact]
    public void Overwriting_a_larger_file_leaves_no_trailing_bytes()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("loradsl-st-").FullName, "a.safetensors");
        using var big = zeros(1000);
        using var small = zeros(2);
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["x"] = big });
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["x"] = small });
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(8 + BitConverter.ToInt64(bytes, 0) + 8, bytes.Length);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }
}
