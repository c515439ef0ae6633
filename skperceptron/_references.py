"""The works the estimators' docstrings cite, by key (``_docstrings.references_section``)."""

#: The papers of the methods the estimators implement, cited in their References
#: sections by these keys (``fill_doc(references=...)``).
REFERENCES = {
    "rosenblatt": """Rosenblatt, F. (1958). The perceptron: a probabilistic model for
information storage and organization in the brain. *Psychological Review*, 65(6),
386-408. https://doi.org/10.1037/h0042519""",
    "widrow_hoff": """Widrow, B., and Hoff, M. E. (1960). Adaptive switching circuits.
*IRE WESCON Convention Record*, Part 4, 96-104.""",
    "rumelhart": """Rumelhart, D. E., Hinton, G. E., and Williams, R. J. (1986). Learning
representations by back-propagating errors. *Nature*, 323(6088), 533-536.
https://doi.org/10.1038/323533a0""",
    "kingma_ba": """Kingma, D. P., and Ba, J. (2015). Adam: a method for stochastic
optimization. *International Conference on Learning Representations (ICLR)*.
arXiv:1412.6980.""",
    "liu_nocedal": """Liu, D. C., and Nocedal, J. (1989). On the limited memory BFGS
method for large scale optimization. *Mathematical Programming*, 45, 503-528.
https://doi.org/10.1007/BF01589116""",
    "byrd": """Byrd, R. H., Lu, P., Nocedal, J., and Zhu, C. (1995). A limited memory
algorithm for bound constrained optimization. *SIAM Journal on Scientific
Computing*, 16(5), 1190-1208.""",
    "glorot_bengio": """Glorot, X., and Bengio, Y. (2010). Understanding the difficulty of
training deep feedforward neural networks. *Proceedings of the Thirteenth
International Conference on Artificial Intelligence and Statistics (AISTATS)*,
PMLR 9, 249-256.""",
    "he": """He, K., Zhang, X., Ren, S., and Sun, J. (2015). Delving deep into
rectifiers: surpassing human-level performance on ImageNet classification.
*Proceedings of the IEEE International Conference on Computer Vision (ICCV)*,
1026-1034.""",
    "srivastava": """Srivastava, N., Hinton, G., Krizhevsky, A., Sutskever, I., and
Salakhutdinov, R. (2014). Dropout: a simple way to prevent neural networks from
overfitting. *Journal of Machine Learning Research*, 15(56), 1929-1958.""",
    "ioffe_szegedy": """Ioffe, S., and Szegedy, C. (2015). Batch normalization:
accelerating deep network training by reducing internal covariate shift.
*Proceedings of the 32nd International Conference on Machine Learning (ICML)*,
PMLR 37, 448-456.""",
    "tsuruoka": """Tsuruoka, Y., Tsujii, J., and Ananiadou, S. (2009). Stochastic
gradient descent training for L1-regularized log-linear models with cumulative
penalty. *Proceedings of the Joint Conference of the 47th Annual Meeting of the ACL
and the 4th International Joint Conference on Natural Language Processing of the
AFNLP*, 477-485.""",
    "polyak_juditsky": """Polyak, B. T., and Juditsky, A. B. (1992). Acceleration of
stochastic approximation by averaging. *SIAM Journal on Control and Optimization*,
30(4), 838-855. https://doi.org/10.1137/0330046""",
    "freund_schapire": """Freund, Y., and Schapire, R. E. (1999). Large margin
classification using the perceptron algorithm. *Machine Learning*, 37(3),
277-296.""",
    "loshchilov_hutter": """Loshchilov, I., and Hutter, F. (2019). Decoupled weight decay
regularization. *International Conference on Learning Representations (ICLR)*.
arXiv:1711.05101.""",
    "loshchilov_hutter_sgdr": """Loshchilov, I., and Hutter, F. (2017). SGDR: stochastic
gradient descent with warm restarts. *International Conference on Learning
Representations (ICLR)*. arXiv:1608.03983.""",
    "tieleman_hinton": """Tieleman, T., and Hinton, G. (2012). Lecture 6.5, rmsprop: divide
the gradient by a running average of its recent magnitude. *COURSERA: Neural Networks
for Machine Learning*, 4(2), 26-31.""",
    "pascanu": """Pascanu, R., Mikolov, T., and Bengio, Y. (2013). On the difficulty of
training recurrent neural networks. *International Conference on Machine Learning
(ICML)*, 1310-1318. arXiv:1211.5063.""",
}
