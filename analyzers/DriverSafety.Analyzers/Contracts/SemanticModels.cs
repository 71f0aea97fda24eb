using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>
    /// One semantic model per syntax tree of the compilation, shared by everything that must look beyond the body
    /// being analysed: callee bodies for summaries, and the names in scope at an annotation (its usings).
    /// </summary>
    internal sealed class SemanticModels
    {
        private readonly Compilation _compilation;
        private readonly ConcurrentDictionary<SyntaxTree, SemanticModel> _models = new ConcurrentDictionary<SyntaxTree, SemanticModel>();

        public SemanticModels(Compilation compilation) => _compilation = compilation;

        public SemanticModel For(SyntaxTree tree) =>
#pragma warning disable RS1030 // Summaries need callee bodies and annotations need their usings, in trees other than the one analysed; one model per tree, cached.
            _models.GetOrAdd(tree, t => _compilation.GetSemanticModel(t));
#pragma warning restore RS1030
    }
}
