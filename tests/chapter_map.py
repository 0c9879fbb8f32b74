"""The chapter map of the book: question number -> (part folder, slug, exam title, uses torch/GPU).

Tests check that every chapter listed in _toc.yml matches this map (file name, title) and that
book/intro.md shows the whole plan.
"""
PARTS = {
    "01_foundations": "Часть 1. Математические основы",
    "02_mlp": "Часть 2. Многослойный персептрон",
    "03_activations": "Часть 3. Функции активации",
    "04_cnn": "Часть 4. Свёрточные сети",
    "05_sequences": "Часть 5. Рекуррентные сети и внимание",
    "06_practice": "Часть 6. Практика обучения",
}

CHAPTERS = {
    1: ("01_foundations", "loss_functions", "Понятие функции потерь. Примеры для регрессии и классификации", False),
    2: ("01_foundations", "gradient_descent", "Градиентный спуск: идея, формулировка, варианты (SGD, mini-batch, Adam)", False),
    3: ("01_foundations", "backpropagation", "Алгоритм обратного распространения ошибки (Backpropagation)", False),
    4: ("01_foundations", "tensor_ops", "Матричные и тензорные операции. Почему они важны?", True),
    5: ("02_mlp", "deep_nets_principles", "Принципы построения и обучения глубоких сетей", False),
    6: ("02_mlp", "mlp_architecture", "Архитектура MLP: входной, скрытые и выходной слои", False),
    7: ("02_mlp", "universal_approximation", "Универсальная аппроксимационная теорема (теорема Цыбенко)", False),
    8: ("02_mlp", "nonlinearity_xor", "Роль нелинейности в скрытых слоях MLP", False),
    9: ("02_mlp", "matrix_calculus_softmax", "Матричное исчисление, Softmax, категориальная кросс-энтропия", False),
    10: ("03_activations", "activations_basic", "Основные функции активации: ReLU, sigmoid, tanh, softmax", False),
    11: ("03_activations", "vanishing_gradients", "Проблема затухающих градиентов", False),
    12: ("03_activations", "activations_modern", "Современные функции активации: Leaky ReLU, ELU, GELU", False),
    13: ("04_cnn", "convolution_pooling", "Принципы свёртки и пулинга. Инвариантности", False),
    14: ("04_cnn", "convolution_math", "Математическое описание свёртки. Детекторы признаков, фильтры", True),
    15: ("04_cnn", "cnn_architectures", "Архитектура CNN: структура слоёв, примеры", True),
    16: ("04_cnn", "convolution_types", "Типы свёрток (1D, 2D, 3D). Применение вне компьютерного зрения", True),
    17: ("05_sequences", "simple_rnn", "Архитектура простой RNN. Скрытое состояние как память", True),
    18: ("05_sequences", "rnn_training_bptt", "Обучение RNN: BPTT, затухание и взрыв градиентов", True),
    19: ("05_sequences", "lstm_gru", "LSTM и GRU: гейты и долгая память", True),
    20: ("05_sequences", "attention", "Механизм внимания и self-attention", True),
    21: ("06_practice", "weight_initialization", "Инициализация весов", False),
    22: ("06_practice", "optimizers", "Оптимизаторы: SGD, Momentum, AdaGrad, RMSProp, Adam, AdamW", False),
    23: ("06_practice", "regularization_normalization", "Регуляризация и нормализация: Dropout, Batch Normalization", False),
}


def chapter_path(q: int) -> str:
    part, slug, _, _ = CHAPTERS[q]
    return f"book/{part}/q{q:02d}_{slug}"
