"""The from-scratch teaching code of single chapters: written out to be read, used by one chapter
(and its tests), and not part of the model library.

* ``counting``: exact parameter counts of every factorisation (chapter 2, checked against the models)
* ``autodiff``: reverse-mode differentiation by hand (chapter 4)
* ``classify``: logistic regression, softmax and SGD on MNIST (chapter 4)
* ``nade_lessons``: which columns of W feed each hidden layer, the shared-weights figure (chapter 5)
* ``vanilla_rnn``: the lecture's RNN as a loop (chapter 7)
* ``lstm_fields``: the pixels the Row LSTM and the Diagonal BiLSTM depend on (chapter 7)
* ``conv``: 1-D and 2-D convolution, smoothing and edge detection (chapter 8)
* ``gaussian_ar``: a continuous autoregressive model, Gaussian conditionals (chapter 12)
"""
