using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Benchmarks;

/// <summary>The metadata references of every benchmark compilation: the SDK's newest net10.0 reference pack and the annotations.</summary>
public static class References
{
    private const string TargetFramework = "net10.0";

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyAll = new(Load);

    /// <summary>Framework reference assemblies plus DriverSafety.Annotations.dll.</summary>
    public static ImmutableArray<MetadataReference> All => LazyAll.Value;

    private static ImmutableArray<MetadataReference> Load()
    {
        var annotations = MetadataReference.CreateFromFile(typeof(GuardedByAttribute).Assembly.Location);
        return FrameworkReferenceFiles()
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .Append(annotations)
            .ToImmutableArray();
    }

    private static IEnumerable<string> FrameworkReferenceFiles()
    {
        // typeof(object) lives in <dotnet>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll.
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
        var packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        if (!Directory.Exists(packs))
        {
            throw new InvalidOperationException($"No reference pack folder at '{packs}' (dotnet root '{dotnetRoot}').");
        }

        var refFolder = Directory.GetDirectories(packs)
            .Select(dir => (Dir: dir, Version: ParseVersion(Path.GetFileName(dir))))
            .Where(candidate => candidate.Version is not null)
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => Path.Combine(candidate.Dir, "ref", TargetFramework))
            .FirstOrDefault(Directory.Exists)
            ?? throw new InvalidOperationException($"No version under '{packs}' has a ref/{TargetFramework} folder.");

        return Directory.GetFiles(refFolder, "*.dll").OrderBy(path => path, StringComparer.Ordinal);
    }

    /// <summary>Parses "10.0.12" or "10.0.0-rc.1.25451.107" (the prerelease suffix is ignored for ordering).</summary>
    private static Version? ParseVersion(string folderName)
    {
        var dash = folderName.IndexOf('-');
        var core = dash < 0 ? folderName : folderName.Substring(0, dash);
        return Version.TryParse(core, out var version) ? version : null;
    }
}
