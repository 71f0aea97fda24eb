using System;
using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>
    /// The semantic model of a syntax tree of the compilation, for everything that must look beyond the body being
    /// analysed: callee bodies for summaries, and the names in scope at an annotation (its usings). Held weakly: a
    /// semantic model keeps the bound trees of every body bound through it, so holding one per tree for the whole
    /// compilation would keep all of them alive (tens of megabytes on a driver-sized project, and every garbage
    /// collection slower for it). Inside the compiler the analyzer driver's own model provider caches each tree's
    /// model while the tree is being analysed and hands out that instance, bound trees shared with the compiler;
    /// outside it (a direct host), a model collected meanwhile is simply created again.
    /// </summary>
    internal sealed class SemanticModels
    {
        private readonly Compilation _compilation;
        private readonly ConcurrentDictionary<SyntaxTree, WeakReference<SemanticModel>> _models = new ConcurrentDictionary<SyntaxTree, WeakReference<SemanticModel>>();

        public SemanticModels(Compilation compilation) => _compilation = compilation;

        public SemanticModel For(SyntaxTree tree)
        {
            if (_models.TryGetValue(tree, out var weak) && weak.TryGetTarget(out var cached))
            {
                return cached;
            }

#pragma warning disable RS1030 // Summaries need callee bodies and annotations need their usings, in trees other than the one analysed.
            var model = _compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
            _models[tree] = new WeakReference<SemanticModel>(model);
            return model;
        }
    }
}
