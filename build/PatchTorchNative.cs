using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

// Marks the GLIBCXX_3.4.32 entry of libLibTorchSharp.so's .gnu.version_r weak when the system
// libstdc++ does not provide that version. Only files under Directory are changed.
public class LoraDslPatchTorchNative : Task
{
    const string MissingVersion = "GLIBCXX_3.4.32";
    const ushort VerFlagWeak = 0x2;

    [Required]
    public string Directory { get; set; } = "";

    public override bool Execute()
    {
        if (!System.IO.Directory.Exists(Directory)) return true;
        if (SystemLibstdcxxHas(MissingVersion)) return true;
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories))
        {
            try
            {
                var bytes = File.ReadAllBytes(file);
                var result = MarkWeak(bytes, MissingVersion);
                if (result == PatchResult.Patched)
                {
                    var temp = file + ".loradsl-tmp";
                    File.WriteAllBytes(temp, bytes);
                    File.Copy(temp, file, overwrite: true);
                    File.Delete(temp);
                    Log.LogMessage(MessageImportance.High, $"LoraDsl: marked {MissingVersion} weak in {file} (system libstdc++ lacks it)");
                }
            }
            catch (Exception e)
            {
                Log.LogWarning($"LoraDsl: could not patch {file}: {e.Message}. Install libstdc++ from GCC 13 or newer (GLIBCXX_3.4.32).");
            }
        }
        return !Log.HasLoggedErrors;
    }

    static bool SystemLibstdcxxHas(string version)
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        };
        var needle = Encoding.ASCII.GetBytes(version + "\0");
        foreach (var path in candidates)
        {
            if (!File.Exists(path)) continue;
            var data = File.ReadAllBytes(path);
            return IndexOf(data, needle) >= 0;
        }
        return false;
    }

    static int IndexOf(byte[] data, byte[] needle)
    {
        for (int i = 0; i <= data.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && data[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }

    enum PatchResult { NotFound, AlreadyWeak, Patched }

    // ELF64 little-endian: walk section headers to .gnu.version_r (SHT_GNU_verneed = 0x6ffffffe),
    // then its Verneed/Vernaux chains; names live in the linked string table.
    static PatchResult MarkWeak(byte[] elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            long sh = shoff + (long)s * shentsize;
            uint type = BitConverter.ToUInt32(elf, (int)sh + 4);
            if (type != 0x6ffffffe) continue;
            long offset = BitConverter.ToInt64(elf, (int)sh + 0x18);
            uint link = BitConverter.ToUInt32(elf, (int)sh + 0x28);
            long strOffset = BitConverter.ToInt64(elf, (int)(shoff + (long)link * shentsize) + 0x18);
            long need = offset;
            while (true)
            {
                int cnt = BitConverter.ToUInt16(elf, (int)need + 2);
                uint aux = BitConverter.ToUInt32(elf, (int)need + 8);
                uint next = BitConverter.ToUInt32(elf, (int)need + 12);
                long vna = need + aux;
                for (int i = 0; i < cnt; i++)
                {
                    ushort flags = BitConverter.ToUInt16(elf, (int)vna + 4);
                    uint name = BitConverter.ToUInt32(elf, (int)vna + 8);
                    if (ReadCString(elf, strOffset + name) == version)
                    {
                        if ((flags & VerFlagWeak) != 0) return PatchResult.AlreadyWeak;
                        flags |= VerFlagWeak;
                        elf[vna + 4] = (byte)(flags & 0xff);
                        elf[vna + 5] = (byte)(flags >> 8);
                        return PatchResult.Patched;
                    }
                    vna += BitConverter.ToUInt32(elf, (int)vna + 12);
                }
                if (next == 0) break;
                need += next;
            }
        }
        return PatchResult.NotFound;
    }

    static string ReadCString(byte[] data, long offset)
    {
        long end = offset;
        while (end < data.Length && data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)offset, (int)(end - offset));
    }
}
